// Pan and zoom an SVG by changing its viewBox: drag to pan, the wheel (or the + / −
// buttons) to zoom around the pointer, double-click or "fit" for the whole drawing.
// `dragged()` tells a click handler that the pointer moved: that was a pan, not a click.
function panZoom(view, svg, buttons) {
  var whole = (svg.getAttribute("viewBox") || "0 0 100 100").split(/[\s,]+/).map(Number),
    box = whole.slice(), drag = null, moved = false;
  svg.removeAttribute("width");
  svg.removeAttribute("height");
  function set() { svg.setAttribute("viewBox", box.join(" ")); }
  // Drawing units per screen pixel (the SVG keeps its aspect ratio, "meet").
  function unit() {
    var r = svg.getBoundingClientRect();
    return Math.max(box[2] / Math.max(r.width, 1), box[3] / Math.max(r.height, 1));
  }
  function at(e) {
    var r = svg.getBoundingClientRect(), u = unit();
    // The drawing is centred in the element: offset of its box inside the element.
    var ox = (r.width * u - box[2]) / 2, oy = (r.height * u - box[3]) / 2;
    return [box[0] - ox + (e.clientX - r.left) * u, box[1] - oy + (e.clientY - r.top) * u];
  }
  function zoom(f, p) {
    var w = Math.min(Math.max(box[2] / f, whole[2] / 40), whole[2] * 4);
    f = box[2] / w;
    p = p || [box[0] + box[2] / 2, box[1] + box[3] / 2];
    box = [p[0] - (p[0] - box[0]) / f, p[1] - (p[1] - box[1]) / f, box[2] / f, box[3] / f];
    set();
  }
  function fit() { box = whole.slice(); set(); }
  // Screen pixels per drawing unit.
  function scale() { return 1 / unit(); }
  // The view centred on a box of the drawing, at `s` pixels per unit.
  function around(b, s) {
    var r = svg.getBoundingClientRect(), w = r.width / s, h = r.height / s;
    box = [b.x + b.width / 2 - w / 2, b.y + b.height / 2 - h / 2, w, h];
    set();
  }
  view.addEventListener("wheel", function (e) {
    e.preventDefault();
    zoom(Math.exp(-e.deltaY * 0.0015), at(e));
  }, {passive: false});
  view.addEventListener("pointerdown", function (e) {
    if (e.button !== 0 || e.target.closest("button")) { return; }
    drag = {x: e.clientX, y: e.clientY, box: box.slice(), u: unit()};
    moved = false;
  });
  window.addEventListener("pointermove", function (e) {
    if (!drag) { return; }
    var dx = e.clientX - drag.x, dy = e.clientY - drag.y;
    if (!moved && Math.abs(dx) + Math.abs(dy) < 4) { return; }
    moved = true;
    view.classList.add("gg-dragging");
    box[0] = drag.box[0] - dx * drag.u;
    box[1] = drag.box[1] - dy * drag.u;
    set();
  });
  window.addEventListener("pointerup", function () {
    drag = null;
    view.classList.remove("gg-dragging");
  });
  view.addEventListener("dblclick", function (e) {
    if (!e.target.closest("button")) { fit(); }
  });
  buttons.querySelector(".gg-zin").onclick = function () { zoom(1.25); };
  buttons.querySelector(".gg-zout").onclick = function () { zoom(0.8); };
  buttons.querySelector(".gg-fit").onclick = fit;
  return {dragged: function () { return moved; }, zoom: zoom, fit: fit, scale: scale,
    around: around, viewBox: function () { return box.slice(); }};
}
