// Frames over one laid-out SVG: the backward-steps page, the explorer's stepper and the
// film's scrubber all paint the same way. Python sends `data`:
//   looks  - distinct node looks [fill, pen, pen width, dashes, grad text, muted?, tag]
//   base   - frame 0's look per node (an index into looks)
//   frames - [{caption: [lines], focus: node or -1, set: [[node, look], ...]}] (changes
//            from the frame before), optionally `text: [[node, value text], ...]`
//   focus, muted, text, edge, label - colours (theme.py)
// Inlined into each page's own function scope: nothing here is global.

// A number from the page's JSON: Python writes NaN and ±inf as strings.
function num(x) {
  if (typeof x !== "string") { return x; }
  return {nan: NaN, inf: Infinity, "-inf": -Infinity}[x];
}

// The drawn parts of a graph, found once: value nodes (a node and its dotted copies share
// an id), op shapes and edges.
function graphParts(svg) {
  var parts = {nodes: {}, ops: {}, edges: []};
  svg.querySelectorAll(".gg-node").forEach(function (g) {
    var i = g.getAttribute("data-node-id");
    (parts.nodes[i] = parts.nodes[i] || []).push(g);
  });
  svg.querySelectorAll(".gg-op").forEach(function (g) {
    parts.ops[g.getAttribute("data-op-of")] = g;
  });
  svg.querySelectorAll(".edge[data-to]").forEach(function (g) { parts.edges.push(g); });
  return parts;
}

// One node drawn with look L; `ring` (a colour) frames it instead of its own pen.
function paintNode(g, L, ring, colors) {
  var copy = g.hasAttribute("data-copy"), box = g.querySelector(".gg-box"),
    pen = g.querySelector(".gg-pen"), t = g.querySelector(".gg-grad"),
    tag = g.querySelector(".gg-tag");
  if (box) { box.setAttribute("fill", L[0]); }
  if (pen) {
    var width = copy ? Math.max(L[2], 2) : L[2];
    pen.setAttribute("stroke", ring && !copy ? ring : L[1]);
    pen.setAttribute("stroke-width", ring && !copy ? 4 : width);
    if (!copy) {
      if (L[3]) { pen.setAttribute("stroke-dasharray", L[3]); }
      else { pen.removeAttribute("stroke-dasharray"); }
    }
  }
  if (t) {
    t.textContent = (t.getAttribute("data-prefix") || "") + L[4];
    t.setAttribute("fill", L[5] ? colors.muted : colors.text);
  }
  if (tag) { tag.textContent = L[6]; }
}

// An op's shape ringed (or not) and an edge drawn in a colour (or its own).
function paintOp(g, color, width) {
  var e = g.querySelector(".gg-opshape");
  if (e) { e.setAttribute("stroke", color); e.setAttribute("stroke-width", width); }
}

function paintEdge(g, color, width, labelColor) {
  g.querySelectorAll("path,polygon").forEach(function (e) {
    e.setAttribute("stroke", color);
    e.setAttribute("stroke-width", width);
    if (e.tagName.toLowerCase() === "polygon") { e.setAttribute("fill", color); }
  });
  g.querySelectorAll("text").forEach(function (e) { e.setAttribute("fill", labelColor); });
}

// Paints frame k of `data` on the SVG inside `box`.
function framePainter(box, data) {
  var parts = graphParts(box);
  function looksAt(k) {
    var now = data.base.slice();
    for (var j = 1; j <= k; j++) {
      data.frames[j].set.forEach(function (c) { now[c[0]] = c[1]; });
    }
    return now;
  }
  function textsAt(k) {
    var now = {};
    for (var j = 0; j <= k; j++) {
      (data.frames[j].text || []).forEach(function (c) { now[c[0]] = c[1]; });
    }
    return now;
  }
  function show(k) {
    var now = looksAt(k), texts = textsAt(k), focus = data.frames[k].focus;
    Object.keys(parts.nodes).forEach(function (i) {
      var L = data.looks[now[i]];           // none: a node the frames leave as drawn
      parts.nodes[i].forEach(function (g) {
        if (L) { paintNode(g, L, +i === focus ? data.focus : null, data); }
        var v = g.querySelector(".gg-value");
        if (v && i in texts) { v.textContent = (v.getAttribute("data-prefix") || "") + texts[i]; }
      });
    });
    Object.keys(parts.ops).forEach(function (o) {
      var hot = +o === focus;
      paintOp(parts.ops[o], hot ? data.focus : "black", hot ? 3 : 1);
    });
    parts.edges.forEach(function (g) {
      var hot = +g.getAttribute("data-to") === focus;
      paintEdge(g, hot ? data.focus : data.edge, hot ? 3 : 1, hot ? data.focus : data.label);
    });
  }
  return {show: show, looksAt: looksAt, parts: parts, count: data.frames.length};
}

// Slider, prev/next buttons, arrow keys and a caption driving `show(k)`, which paints frame
// k and returns its caption lines. Returns {go(k) -> frame shown, at() -> current frame}.
function stepper(root, count, show, onMove) {
  var slider = root.querySelector(".gg-slider"), pos = root.querySelector(".gg-pos"),
    cap = root.querySelector(".gg-caption"), k = 0;
  function go(f) {
    k = Math.max(0, Math.min(count - 1, f));
    var lines = show(k);
    cap.textContent = "";
    lines.forEach(function (line) {
      var d = document.createElement("div");
      d.textContent = line;
      cap.appendChild(d);
    });
    slider.value = k;
    pos.textContent = (k + 1) + " / " + count;
    return k;
  }
  function move(f) { if (onMove) { onMove(); } return go(f); }
  root.querySelector(".gg-prev").onclick = function () { move(k - 1); };
  root.querySelector(".gg-next").onclick = function () { move(k + 1); };
  slider.oninput = function () { move(parseInt(slider.value, 10)); };
  root.tabIndex = 0;
  root.onkeydown = function (e) {
    var typing = e.target && /^(INPUT|TEXTAREA|SELECT)$/.test(e.target.tagName || "");
    if (typing && e.target !== slider) { return; }     // arrows edit a number there
    if (e.key === "ArrowLeft") { move(k - 1); }
    if (e.key === "ArrowRight") { move(k + 1); }
  };
  return {go: go, move: move, at: function () { return k; }};
}
