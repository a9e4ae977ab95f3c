// The explorer (viz/explore.py): inspect, blame, what-if, descend and the backward steps
// on one laid-out SVG. Uses frames.js (painting), rules.js + engine.js (recomputing a
// scalar graph), panzoom.js. `explorer(root)` wires one widget and sets root.glassgrad.
var PATHS_LISTED = 6;          // blame: paths written out; the rest are summed
var PATHS_SUMMED = 2000;       // blame: paths multiplied out one by one, at most
var LEAVES_LISTED = 60;        // what-if: leaves with an input in the side panel

function element(tag, cls, text) {
  var e = document.createElement(tag);
  if (cls) { e.className = cls; }
  if (text !== undefined) { e.textContent = text; }
  return e;
}

// A number substituted into a formula: negative ones in parentheses.
function plugged(x) { var s = short(x); return x < 0 ? "(" + s + ")" : s; }

function explorer(root) {
  var data = JSON.parse(root.querySelector(".gg-data").textContent);
  var nodes = data.nodes, n = nodes.length, live = data.live || null, out = data.root;
  var graphBox = root.querySelector(".gg-graph"), svg = graphBox.querySelector("svg");
  var side = root.querySelector(".gg-side"), tip = root.querySelector(".gg-tip");
  var view = root.querySelector(".gg-view");
  var painter = framePainter(graphBox, data), parts = painter.parts;
  var zoom = panZoom(view, svg, root.querySelector(".gg-zoom"));
  var parents = nodes.map(function (d) { return d.parents; });
  var saved = nodes.map(function (d) { return num(d.data); });
  var savedGrads = nodes.map(function (d) { return num(d.grad); });
  var values = saved.slice(), grads = savedGrads.slice();
  var isParam = nodes.map(function (d) { return d.param; });
  var engine = live ? scalarGraph({rule: live.rule, arg: live.arg, parents: parents, root: out},
                                  live.compensated) : null;
  var finalLooks = painter.looksAt(painter.count - 1);
  var mode = "live", selected = -1, blame = null, history = [], changed = false;
  var ui = {};

  // ---- what the drawing shows ----
  // The k-th edge element from p into i stands for the k-th time p is an operand of i.
  var slots = parts.edges.map(function (g) { return [+g.getAttribute("data-from"), +g.getAttribute("data-to")]; });
  (function () {
    var seen = {};
    slots.forEach(function (s) {
      var key = s[0] + ">" + s[1], k = seen[key] || 0, count = 0;
      seen[key] = k + 1;
      s.push(parents[s[1]].findIndex(function (p) { count += p === s[0] ? 1 : 0; return p === s[0] && count === k + 1; }));
    });
  })();

  function lookOf(i) {
    if (!live) { return data.looks[finalLooks[i]]; }
    var L = data.looks[live.classes[live.nodeClass[i]][styleIndex(grads[i], live.scale)]].slice();
    L[4] = fmt(grads[i]);
    return L;
  }

  function writeValue(g, x) {
    var v = g.querySelector(".gg-value");
    if (v && typeof x === "number") { v.textContent = (v.getAttribute("data-prefix") || "") + fmt(x); }
  }

  function writeEdgeLabels(v) {
    if (!live) { return; }
    parts.edges.forEach(function (g, j) {
      var label = g.querySelector(".gg-elabel"), s = slots[j];
      if (label && s[2] >= 0) { label.textContent = "∂ " + short(engine.locals(s[1], v)[s[2]]); }
    });
  }

  // The live view: current numbers, blame paths highlighted.
  function paint() {
    mode = "live";
    var on = blame ? blame.on : null;
    Object.keys(parts.nodes).forEach(function (i) {
      var L = lookOf(+i);
      parts.nodes[i].forEach(function (g) {
        paintNode(g, L, on && on[i] ? data.highlight : null, data);
        writeValue(g, values[i]);
      });
    });
    Object.keys(parts.ops).forEach(function (o) {
      paintOp(parts.ops[o], on && on[o] ? data.highlight : "black", on && on[o] ? 2.5 : 1);
    });
    parts.edges.forEach(function (g, j) {
      var s = slots[j], hot = on && on[s[0]] && on[s[1]];
      paintEdge(g, hot ? data.highlight : on ? data.dim : data.edge, hot ? 2.5 : 1,
                hot ? data.highlight : on ? data.dim : data.label);
    });
    writeEdgeLabels(values);
    stepNote();
  }

  // ---- tooltips ----
  function name(i) { return nodes[i].name; }

  function derivativeLines(i, v) {
    var ps = parents[i], d = engine.locals(i, v), R = RULES[live.rule[i]];
    var names = {o: name(i), ops: ps.map(name)}, nums = {o: plugged(v[i]), ops: ps.map(function (p) { return plugged(v[p]); })},
      raw = {o: v[i], a: v[ps[0]], b: v[ps[1]], k: live.arg[i]};
    names.a = names.ops[0]; names.b = names.ops[1];
    nums.a = nums.ops[0]; nums.b = nums.ops[1]; nums.k = live.arg[i] === null ? "" : plugged(live.arg[i]);
    var texts = R.explain(names, nums, raw), lines = [];
    for (var k = 0; k < ps.length; k++) {
      if (k === PATHS_LISTED && ps.length > PATHS_LISTED + 1) {
        lines.push("… and " + (ps.length - k) + " more operands");
        break;
      }
      var chain = [texts[k][0]], r = short(d[k]), num = texts[k][1];
      if (num !== undefined) { num = num.replace(/^\((-[^()]*)\)$/, "$1"); }    // a lone number
      if (num !== undefined && num !== texts[k][0]) { chain.push(num); }
      var last = chain[chain.length - 1];
      if (last !== r && last !== "(" + r + ")") { chain.push(r); }
      lines.push("∂" + name(i) + "/∂" + name(ps[k]) + " = " + chain.join(" = "));
    }
    return lines;
  }

  function histogram(h) {
    var top = Math.max.apply(null, h.counts) || 1, w = 8, height = 28, ns = "http://www.w3.org/2000/svg";
    var s = document.createElementNS(ns, "svg");
    s.setAttribute("width", h.counts.length * w);
    s.setAttribute("height", height);
    s.setAttribute("class", "gg-hist");
    h.counts.forEach(function (c, k) {
      var r = document.createElementNS(ns, "rect"), bh = Math.round(c / top * (height - 2));
      r.setAttribute("x", k * w);
      r.setAttribute("y", height - bh);
      r.setAttribute("width", w - 1);
      r.setAttribute("height", bh);
      s.appendChild(r);
    });
    return s;
  }

  function tooltip(i) {
    var d = nodes[i], box = element("div"), ps = parents[i];
    var head = d.leaf ? name(i) : name(i) + " = " + (ps.length === 2 ?
      name(ps[0]) + " " + d.symbol + " " + name(ps[1]) :
      d.symbol + "(" + ps.slice(0, 4).map(name).join(", ") + (ps.length > 4 ? ", …" : "") + ")");
    box.appendChild(element("div", "gg-tip-head", head));
    if (d.leaf) { box.appendChild(element("div", "gg-muted", isParam[i] ? "parameter: 'step' updates it" : "leaf")); }
    if (d.tensor) {
      var t = d.tensor;
      box.appendChild(element("div", "", "shape (" + t.shape.join(", ") + (t.shape.length === 1 ? "," : "") + ")  " + t.dtype));
      if (t.min !== undefined) {
        box.appendChild(element("div", "", "min " + short(+t.min) + "  mean " + short(+t.mean) + "  max " + short(+t.max)));
      }
      box.appendChild(element("div", "", t.gradNorm === undefined ? "grad None" : "grad norm " + fmt(+t.gradNorm)));
      if (t.hist) {
        box.appendChild(histogram(t.hist));
        box.appendChild(element("div", "gg-muted", "values " + short(t.hist.lo) + " … " + short(t.hist.hi)));
      }
      if (!d.leaf) { box.appendChild(element("div", "gg-muted", "local derivative: a vector-Jacobian product")); }
      return box;
    }
    box.appendChild(element("div", "", "data " + (typeof values[i] === "number" ? fmt(values[i]) :
      values[i] === null ? "? (not recorded)" : values[i])));
    box.appendChild(element("div", "", "grad " + (grads[i] === null ? "None" : fmt(grads[i]))));
    if (live && !d.leaf) {
      box.appendChild(element("div", "gg-tip-sub", "local derivatives"));
      derivativeLines(i, values).forEach(function (line) { box.appendChild(element("div", "gg-formula", line)); });
    }
    return box;
  }

  function target(e) {
    var g = e.target.closest && e.target.closest(".gg-node,.gg-op");
    if (!g) { return -1; }
    return +(g.getAttribute("data-node-id") || g.getAttribute("data-op-of"));
  }

  var tipFor = -1;
  svg.addEventListener("mousemove", function (e) {
    var i = target(e);
    if (i < 0) { tip.hidden = true; tipFor = -1; return; }
    if (i !== tipFor) {
      tip.textContent = "";
      tip.appendChild(tooltip(i));
      tipFor = i;
    }
    tip.hidden = false;
    var r = root.getBoundingClientRect(), x = e.clientX - r.left + 14, y = e.clientY - r.top + 14;
    tip.style.left = Math.min(x, r.width - tip.offsetWidth - 4) + "px";
    tip.style.top = y + "px";
  });
  svg.addEventListener("mouseleave", function () { tip.hidden = true; tipFor = -1; });

  // ---- blame: every path from a node to the output ----
  function blameOf(x) {
    var on = new Array(n).fill(false), count = new Array(n).fill(0);
    on[x] = true;
    count[x] = 1;
    for (var i = x + 1; i < n; i++) {
      parents[i].forEach(function (p) { if (on[p]) { on[i] = true; count[i] += count[p]; } });
    }
    var users = {};
    for (var j = x + 1; j < n; j++) {
      if (!on[j]) { continue; }
      parents[j].forEach(function (p, k) { if (on[p]) { (users[p] = users[p] || []).push([j, k]); } });
    }
    // Paths one by one (depth first, no recursion), each with its edge derivatives.
    var paths = [], total = 0, stack = [[x, [x], []]], locals = {};
    function local(i, k) {
      if (!live) { return NaN; }
      locals[i] = locals[i] || engine.locals(i, values);
      return locals[i][k];
    }
    while (stack.length && paths.length < PATHS_SUMMED) {
      var top = stack.pop(), at = top[0];
      if (at === out) {
        var product = top[2].reduce(function (a, b) { return a * b; }, 1);
        paths.push({nodes: top[1], factors: top[2], product: product});
        total += product;
        continue;
      }
      (users[at] || []).slice().reverse().forEach(function (u) {
        stack.push([u[0], top[1].concat([u[0]]), top[2].concat([local(u[0], u[1])])]);
      });
    }
    var all = paths.length === count[out];
    return {id: x, on: on, count: count[out], paths: paths,
            sum: live ? (all ? total : grads[x]) : null, all: all};
  }

  function select(ref) {
    if (ref === null || ref === undefined) {
      selected = -1;
      blame = null;
    } else {
      selected = find(ref, "select");
      blame = blameOf(selected);
    }
    paint();
    refresh();
    return blame && {id: blame.id, paths: blame.count, sum: blame.sum, grad: grads[blame.id],
      nodes: blame.on.map(function (b, i) { return b ? i : -1; }).filter(function (i) { return i >= 0; })};
  }

  function blameText() {
    var b = blame, x = b.id, lines = [];
    var gname = "grad(" + name(x) + ")";
    if (x === out) { return [gname + " = 1: the seed (the output's derivative by itself)"]; }
    if (!b.count) { return [name(x) + " does not reach the output: " + gname + " = 0"]; }
    var what = live ? "Π edge derivatives" : "vector-Jacobian products";
    lines.push(gname + " = Σ over " + short(b.count) + (b.count === 1 ? " path " : " paths ") + "of " + what);
    var listed = 0;
    b.paths.slice(0, PATHS_LISTED).forEach(function (p) {
      var route = p.nodes.map(name).join(" → ");
      if (live) {
        var product = p.factors.length ? p.factors.map(plugged).join(" × ") + " = " + short(p.product) : "1";
        route += ":  " + product;
        listed += p.product;
      }
      lines.push(route);
    });
    if (b.count > PATHS_LISTED) {
      lines.push("+ " + short(b.count - PATHS_LISTED) + " more paths" +
                 (live ? " (together " + short(b.sum - listed) + ")" : ""));
    }
    if (live) {
      lines.push("Σ = " + fmt(b.sum) + " = " + gname + (fmt(b.sum) === fmt(grads[x]) ? " ✓" : " (" + fmt(grads[x]) + ")"));
    } else if (nodes[x].tensor && nodes[x].tensor.gradNorm !== undefined) {
      lines.push("its norm: " + fmt(+nodes[x].tensor.gradNorm));
    }
    return lines;
  }

  svg.addEventListener("click", function (e) {
    if (zoom.dragged()) { return; }
    var i = target(e);
    select(i >= 0 ? i : null);
  });

  // ---- what-if and descend ----
  function find(ref, who) {
    if (typeof ref === "number") {
      if (ref >= 0 && ref < n && ref === Math.floor(ref)) { return ref; }
      throw new Error(who + ": no node " + ref + " (ids are 0 to " + (n - 1) + ")");
    }
    var hits = [];
    nodes.forEach(function (d, i) { if (d.label === ref || d.name === ref) { hits.push(i); } });
    if (hits.length === 1) { return hits[0]; }
    if (!hits.length) { throw new Error(who + ": no node labelled " + JSON.stringify(ref)); }
    throw new Error(who + ": " + hits.length + " nodes are called " + JSON.stringify(ref) + ": give an id (" + hits.join(", ") + ")");
  }

  function describe(err) {
    if (err.node === undefined) { throw err; }
    var i = err.node, ps = parents[i], culprit = err.op === "/" ? ps[1] : ps[0];
    ps.forEach(function (p) { if (values[p] === err.operand || Object.is(values[p], err.operand)) { culprit = p; } });
    return err.op + ": " + err.reason + ", got " + name(culprit) + " = " + short(err.operand) + " (at " + name(i) + ")";
  }

  function apply(changes) {
    var r;
    try {
      r = engine.recompute(changes, values);
    } catch (err) {
      var message = describe(err);
      showError(message);
      throw new Error(message);
    }
    values = r.values;
    grads = r.grads;
    changed = values.some(function (v, i) { return v !== saved[i]; });
    showError("");
    if (blame) { blame = blameOf(selected); }
    paint();
    refresh();
    return values[out];
  }

  function needLive(who) {
    if (!live) {
      throw new Error(who + ": " + data.fixed);
    }
  }

  function setLeaf(ref, value) {
    needLive("setLeaf");
    var i = find(ref, "setLeaf"), x = Number(value);
    if (!nodes[i].leaf) { throw new Error("setLeaf: " + name(i) + " is computed by " + nodes[i].op + "; change a leaf"); }
    if (value === null || value === "" || !isFinite(x)) { throw new Error("setLeaf: give a finite number, got " + value); }
    var c = {};
    c[i] = x;
    return apply(c);
  }

  function descend(lr) {
    needLive("descend");
    lr = lr === undefined ? Number(ui.lr.value) : Number(lr);
    if (!(lr > 0) || !isFinite(lr)) { throw new Error("descend: the learning rate must be a positive number, got " + lr); }
    var c = {}, any = false;
    isParam.forEach(function (p, i) { if (p && nodes[i].leaf) { c[i] = values[i] - lr * grads[i]; any = true; } });
    if (!any) { throw new Error("descend: no leaf is marked as a parameter: tick 'param' beside the leaves to step"); }
    if (!history.length) { history.push(values[out]); }
    apply(c);
    history.push(values[out]);
    refresh();
    return values[out];
  }

  function reset() {
    values = saved.slice();
    grads = savedGrads.slice();
    changed = false;
    history = [];
    if (blame) { blame = blameOf(selected); }
    showError("");
    paint();
    refresh();
  }

  // ---- the side panel ----
  function section(title) {
    var s = element("div", "gg-section");
    s.appendChild(element("div", "gg-section-title", title));
    side.appendChild(s);
    return s;
  }

  function showError(message) { ui.error.textContent = message; ui.error.hidden = !message; }

  function leafRow(i) {
    var row = element("div", "gg-leaf"), input = element("input"), box = element("input"),
      g = element("span", "gg-leaf-grad");
    input.type = "text";                       // a number input hides half-typed text
    input.setAttribute("inputmode", "decimal");
    input.setAttribute("aria-label", "value of " + name(i));
    // Recomputed as you type (a number not finished yet, like "-" or "1e", waits);
    // leaving the field with something that is not a number puts the value back.
    input.oninput = function () {
      if (input.value.trim() !== "" && isFinite(Number(input.value))) {
        try { setLeaf(i, input.value); } catch (err) { return; }     // shown in the panel
      }
    };
    input.onchange = function () {
      if (input.value.trim() === "" || !isFinite(Number(input.value))) { input.value = values[i]; }
    };
    box.type = "checkbox";
    box.title = "a parameter: 'step' updates it";
    box.onchange = function () { isParam[i] = box.checked; refresh(); };
    var label = element("label", "gg-param");
    label.appendChild(box);
    label.appendChild(document.createTextNode("param"));
    row.appendChild(element("span", "gg-leaf-name", name(i)));
    row.appendChild(input);
    row.appendChild(label);
    row.appendChild(g);
    return {row: row, input: input, box: box, grad: g, id: i};
  }

  function build() {
    var head = section("Output");
    ui.output = element("div", "gg-output");
    head.appendChild(ui.output);
    ui.error = element("div", "gg-error");
    head.appendChild(ui.error);
    ui.blame = section("Selected");
    ui.blameBody = element("div", "gg-blame");
    ui.blame.appendChild(ui.blameBody);
    if (live) {
      // Named leaves (labels, parameters) first; unnamed constants only when there is room.
      var leaves = nodes.map(function (d, i) { return i; }).filter(function (i) { return nodes[i].leaf; });
      var named = leaves.filter(function (i) { return isParam[i] || nodes[i].name.charAt(0) !== "#"; });
      named.sort(function (a, b) { return (isParam[b] - isParam[a]) || a - b; });
      var listed = (named.length ? named : leaves).slice(0, LEAVES_LISTED);
      var what = section("What if? Change a leaf");
      ui.leaves = listed.map(leafRow);
      ui.leaves.forEach(function (r) { what.appendChild(r.row); });
      if (leaves.length > listed.length) {
        what.appendChild(element("div", "gg-muted", (listed.length ? "… and " : "") + (leaves.length - listed.length) +
          " more leaves (constants, or past the first " + LEAVES_LISTED + "): click one in the graph to change it"));
      }
      var step = section("Gradient descent by hand");
      var bar = element("div", "gg-descend");
      ui.lr = element("input");
      ui.lr.type = "number";
      ui.lr.step = "any";
      ui.lr.value = data.lr;
      ui.lr.setAttribute("aria-label", "learning rate");
      var go = element("button", "gg-step", "step: p ← p − lr·grad");
      go.onclick = function () { try { descend(); } catch (err) { showError(err.message); } };
      var back = element("button", "gg-reset", "reset");
      back.onclick = reset;
      bar.appendChild(element("span", "", "lr "));
      bar.appendChild(ui.lr);
      bar.appendChild(go);
      bar.appendChild(back);
      step.appendChild(bar);
      ui.history = element("div", "gg-history");
      step.appendChild(ui.history);
    } else {
      section("What if?").appendChild(element("div", "gg-muted gg-fixed", data.fixed));
    }
  }

  function refresh() {
    var o = nodes[out], v = values[out];
    if (Array.isArray(v) && v.length === 1) { v = num(v[0]); }
    ui.output.textContent = (o.label || "output") + " = " + (typeof v === "number" ? fmt(v) : "(a tensor)");
    ui.blameBody.textContent = "";
    if (blame) {
      blameText().forEach(function (line, k) { ui.blameBody.appendChild(element("div", k ? "gg-path" : "gg-blame-head", line)); });
      if (live && nodes[selected].leaf && (ui.leaves || []).every(function (r) { return r.id !== selected; })) {
        var r = leafRow(selected);
        r.input.value = values[selected];
        r.box.checked = isParam[selected];
        ui.blameBody.appendChild(r.row);
      }
    } else {
      ui.blameBody.appendChild(element("div", "gg-muted", "Hover a node for its numbers; click one to see every path its gradient travels."));
    }
    (ui.leaves || []).forEach(function (r) {
      if (document.activeElement !== r.input) { r.input.value = values[r.id]; }
      r.box.checked = isParam[r.id];
      r.grad.textContent = "grad " + fmt(grads[r.id]);
    });
    if (ui.history) {
      ui.history.textContent = "";
      history.forEach(function (loss, k) { ui.history.appendChild(element("div", "", "step " + k + ": " + (o.label || "output") + " " + fmt(loss))); });
    }
  }

  // ---- the backward steps ----
  var note = root.querySelector(".gg-stepper .gg-muted");
  function stepNote() {
    if (note) { note.textContent = data.note || ""; }
  }
  var steps = null;
  if (data.stepper) {
    steps = stepper(root.querySelector(".gg-stepper"), painter.count, function (k) {
      mode = "steps";
      painter.show(k);
      Object.keys(parts.nodes).forEach(function (i) {
        parts.nodes[i].forEach(function (g) { writeValue(g, saved[i]); });
      });
      writeEdgeLabels(saved);
      var lines = data.frames[k].caption.slice();
      if (changed) { lines.push("(The frames show the graph as saved; values changed since: press reset to match them, or click the graph to go back.)"); }
      return lines;
    });
    var keys = root.querySelector(".gg-stepper").onkeydown;
    root.querySelector(".gg-stepper").onkeydown = null;
    var toLive = element("button", "gg-live", "live values");
    toLive.onclick = function () { paint(); };
    root.querySelector(".gg-stepper .gg-bar").appendChild(toLive);
    root.querySelector(".gg-stepper .gg-caption").textContent =
      "Move the slider (or press ← →) to step through the backward pass.";
  }
  root.tabIndex = 0;
  root.addEventListener("keydown", function (e) {
    if (e.key === "Escape") { select(null); } else if (steps) { keys(e); }
  });

  // Numbers right-aligned in their boxes, so longer ones grow to the left.
  svg.querySelectorAll(".gg-value,.gg-grad").forEach(function (t) {
    if (t.hasAttribute("data-prefix") || !t.getComputedTextLength) { return; }
    var right = +t.getAttribute("x") + t.getComputedTextLength();
    t.setAttribute("x", right.toFixed(2));
    t.setAttribute("text-anchor", "end");
  });

  // A drawing too big to read whole opens at life size around the output ("fit" shows it all).
  var outEl = (parts.nodes[out] || [])[0];
  if (outEl && outEl.getBBox && zoom.scale() < 0.5) {
    // The node's box in the SVG's own units (graphviz draws inside a translated group).
    var b = outEl.getBBox(), m = svg.getScreenCTM().inverse().multiply(outEl.getScreenCTM()),
      p = svg.createSVGPoint();
    p.x = b.x + b.width / 2;
    p.y = b.y + b.height / 2;
    p = p.matrixTransform(m);
    zoom.around({x: p.x, y: p.y, width: 0, height: 0}, 1);
  }

  build();
  paint();
  refresh();
  root.glassgrad = {
    nodes: function () {
      return nodes.map(function (d, i) {
        return {id: i, label: d.label, op: d.op, data: values[i], grad: grads[i], leaf: d.leaf, param: isParam[i]};
      });
    },
    select: select,
    setLeaf: setLeaf,
    descend: descend,
    reset: reset,
    params: function (ids) {
      if (ids !== undefined) {
        var chosen = ids.map(function (r) { return find(r, "params"); });
        isParam = nodes.map(function (d, i) { return d.leaf && chosen.indexOf(i) >= 0; });
        refresh();
      }
      return isParam.map(function (p, i) { return p ? i : -1; }).filter(function (i) { return i >= 0; });
    },
    backwardStep: function (k) {
      if (!steps) { throw new Error("backwardStep: " + (data.note || "this page has no backward steps")); }
      return steps.go(k);
    },
    frames: function () { return steps ? painter.count : 0; },
    frame: function () { return steps ? steps.at() : 0; },
    live: function () { paint(); return mode; },
    mode: function () { return mode; },
    view: zoom.viewBox,
    ready: true,
    readyMs: performance.now()
  };
}
