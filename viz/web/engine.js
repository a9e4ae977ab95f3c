// The explorer's engine: a scalar graph recomputed in the page (forward through RULES,
// then one backward pass), numbers written as the drawings write them, and the colour
// step of a gradient. No DOM here: tests run it under node.

// ---- numbers, as viz/text.py writes them (Python's round-half-even on the exact value) ----

// |x| with f decimals. toFixed rounds an exact tie up; Python rounds it to even.
function fixedEven(ax, f) {
  var extra = Math.min(100 - f, 40), long = ax.toFixed(f + extra), up = ax.toFixed(f);
  var head = long.slice(0, long.length - extra), tail = long.slice(long.length - extra);
  if (!/^50*$/.test(tail)) { return up; }
  head = head.replace(/\.$/, "");
  return (+head.slice(-1)) % 2 === 0 ? head : up;
}

// |x| with p significant digits: [mantissa "1.234", exponent].
function sigEven(ax, p) {
  var extra = Math.min(100 - (p - 1), 40), long = ax.toExponential(p - 1 + extra).split("e"),
    up = ax.toExponential(p - 1).split("e");
  var digits = long[0], head = digits.slice(0, digits.length - extra),
    tail = digits.slice(digits.length - extra);
  if (/^50*$/.test(tail)) {
    head = head.replace(/\.$/, "");
    if ((+head.slice(-1)) % 2 === 0) { return [head, +long[1]]; }
  }
  return [up[0], +up[1]];
}

function exponent(e) { return "e" + (e < 0 ? "-" : "+") + (Math.abs(e) < 10 ? "0" : "") + Math.abs(e); }

function stripZeros(s) { return s.indexOf(".") < 0 ? s : s.replace(/0+$/, "").replace(/\.$/, ""); }

// A node's number: 4 decimals in the everyday range, else 4 digits (text.fmt).
function fmt(x) {
  if (x !== x) { return "nan"; }
  if (x === Infinity) { return "inf"; }
  if (x === -Infinity) { return "-inf"; }
  if (x === 0) { return "0.0000"; }
  var ax = Math.abs(x), sign = x < 0 ? "-" : "";
  if (ax >= 1e-3 && ax < 1e5) { return sign + fixedEven(ax, 4); }
  var m = sigEven(ax, 4);
  return sign + m[0] + exponent(m[1]);
}

// An edge label's number: at most 4 significant digits (text.short, Python's "%.4g").
function short(x) {
  if (x === 0) { return "0"; }
  if (x !== x || !isFinite(x)) { return fmt(x); }
  var ax = Math.abs(x), sign = x < 0 ? "-" : "", m = sigEven(ax, 4), e = m[1];
  if (e < -4 || e >= 4) { return sign + stripZeros(m[0]) + exponent(e); }
  return sign + stripZeros(fixedEven(ax, 3 - e));
}

// ---- colours: which of a node's looks a gradient gets (theme.grad_style) ----
// 0 zero, 1 vanishing, 2 exploding, 3 NaN, 4 ±inf, then `steps` positive colour steps and
// `steps` negative ones (one per decade between the thresholds).
function styleIndex(g, scale) {
  if (g !== g) { return 3; }
  if (!isFinite(g)) { return 4; }
  var a = Math.abs(g);
  if (a === 0) { return 0; }
  if (a < scale.vanishing) { return 1; }
  if (a > scale.exploding) { return 2; }
  var step = Math.min(scale.steps - 1, Math.floor(Math.log10(a / scale.vanishing) + 1e-12));
  return 5 + (g < 0 ? scale.steps : 0) + step;
}

// ---- the graph ----
// spec: rule[i] (an op of RULES, "" for a leaf), arg[i], parents[i] (indices, in order),
// root. `compensated`: neurons sum like Python 3.12+'s sum() (the page says which).
function scalarGraph(spec, compensated) {
  var n = spec.parents.length, parents = spec.parents;
  function operands(i, v) { return parents[i].map(function (p) { return v[p]; }); }
  function value(i, v) {
    var R = RULES[spec.rule[i]], ps = parents[i];
    if (R.nary) { return R.forward(operands(i, v), spec.arg[i], compensated); }
    return R.forward(v[ps[0]], ps.length > 1 ? v[ps[1]] : undefined, spec.arg[i]);
  }
  // d node/d parent for each parent of op node i, at values v.
  function locals(i, v) {
    var R = RULES[spec.rule[i]], ps = parents[i];
    if (R.nary) { return R.local(v[i], operands(i, v), spec.arg[i]); }
    return R.local(v[i], v[ps[0]], ps.length > 1 ? v[ps[1]] : undefined, spec.arg[i]);
  }
  // Every op's value from its inputs, in topological order; an error names its node.
  function forward(v) {
    for (var i = 0; i < n; i++) {
      if (!parents[i].length) { continue; }
      try { v[i] = value(i, v); } catch (err) { err.node = i; throw err; }
    }
    return v;
  }
  // One backward pass from the root, as Value.backward() on fresh gradients.
  function backward(v) {
    var g = new Array(n).fill(0);
    g[spec.root] = 1;
    for (var i = n - 1; i >= 0; i--) {
      var ps = parents[i];
      if (!ps.length) { continue; }
      var d = locals(i, v), gi = g[i];
      for (var k = 0; k < ps.length; k++) { g[ps[k]] += d[k] * gi; }
    }
    return g;
  }
  // Values and gradients with some leaves changed ({index: value}); the graph's own
  // numbers are untouched until `commit`.
  function recompute(leaves, base) {
    var v = base.slice();
    Object.keys(leaves).forEach(function (i) { v[i] = leaves[i]; });
    forward(v);
    return {values: v, grads: backward(v)};
  }
  return {forward: forward, backward: backward, locals: locals, recompute: recompute, size: n};
}
