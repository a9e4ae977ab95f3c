// The scalar rule table on the page's side: autograd/scalar_rules.py's RULES, op by op,
// for the explorer's live what-if. Each rule has
//   forward(a, b, arg)        the op (binary ops read b, unary ops arg); throws domainError
//                             where Python raises DomainError
//   local(out, a, b, arg)     the local derivatives [d out/d a, d out/d b] (unary: [d/d a])
//   explain(n, v, x)          per operand [formula in names, formula with numbers]
// with the same arithmetic in the same order as the Python functions, so both sides give
// the same numbers. `affine` (a neuron: operands w..., b, x...) reads arrays instead.
// tests/test_explore_engine.py runs this table under node against the Python one: every
// Python op must be here, and every rule must agree on random graphs.

var SOFTPLUS_THRESHOLD = 20;      // PyTorch's: above it softplus(x) = x
var BCE_EPSILON = 9.999999960041972e-13;   // float32(1e-12), as PyTorch's BCE backward
var SQRT2 = Math.sqrt(2), INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

function domainError(op, operand, reason) {
  var err = new Error(op + ": " + reason);
  err.op = op;
  err.operand = operand;
  err.reason = reason;
  return err;
}

// erf without a library: for |x| < 3 the series 2/√π e^(−x²) Σ 2ⁿx^(2n+1)/(1·3···(2n+1))
// (positive terms, no cancellation); beyond it erfc's continued fraction (Lentz).
function erf(x) {
  var ax = Math.abs(x);
  if (ax !== ax) { return x; }
  if (ax < 3) {
    var term = ax, sum = ax, x2 = ax * ax;
    for (var n = 1; n < 200 && term > sum * 1e-17; n++) {
      term *= 2 * x2 / (2 * n + 1);
      sum += term;
    }
    var r = 2 / Math.sqrt(Math.PI) * Math.exp(-x2) * sum;
    return x < 0 ? -r : r;
  }
  if (ax > 6) { return x < 0 ? -1 : 1; }
  // erfc(ax) = e^(−x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + ...)))))
  var tiny = 1e-300, f = ax, c = ax, d = 0;
  for (var k = 1; k < 300; k++) {
    var a = k / 2;
    d = ax + a * d;
    d = d === 0 ? tiny : 1 / d;
    c = ax + a / c;
    if (c === 0) { c = tiny; }
    var delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-17) { break; }
  }
  var erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / f;
  return x < 0 ? erfc - 1 : 1 - erfc;
}

function sigmoid(x) {
  if (x >= 0) { return 1 / (1 + Math.exp(-x)); }
  var e = Math.exp(x);
  return e / (1 + e);
}

function normalCdf(x) { return 0.5 * (1 + erf(x / SQRT2)); }
function normalPdf(x) { return Math.exp(-0.5 * x * x) * INV_SQRT_2PI; }

// d/da a**k with PyTorch's values at a = 0.
function dpow(a, k) {
  if (a === 0 && k < 1) { return k === 0 ? 0 : Infinity; }
  return k * Math.pow(a, k - 1);
}

function checkedPow(op, a, k) {
  if (a === 0 && k < 0) {
    throw domainError(op, a, "0 cannot be raised to the negative power " + k);
  }
  if (a < 0 && !Number.isInteger(k)) {
    throw domainError(op, a, "a negative base has no real power " + k);
  }
  var out = Math.pow(a, k);
  if (!isFinite(out) && isFinite(a) && isFinite(k)) {
    throw domainError(op, a, "the power " + k + " overflows a float");
  }
  return out;
}

function clampedLog(x) { return x > 0 ? Math.max(Math.log(x), -100) : -100; }

function finiteOnly(op, fn) {
  return function (a) {
    if (!isFinite(a) && a === a) { throw domainError(op, a, "operand must be finite"); }
    return fn(a);
  };
}

function tie(a, b) { return a > b ? [1, 0] : a < b ? [0, 1] : [0.5, 0.5]; }
function compared(a, b, va, vb) { return va + (a > b ? " > " : a < b ? " < " : " = ") + vb; }
function positive(a, va) { return a > 0 ? va + " > 0" : va + " ≤ 0"; }

var RULES = {
  "+": {forward: function (a, b) { return a + b; },
    local: function () { return [1, 1]; },
    explain: function () { return [["1"], ["1"]]; }},
  "-": {forward: function (a, b) { return a - b; },
    local: function () { return [1, -1]; },
    explain: function () { return [["1"], ["−1"]]; }},
  "*": {forward: function (a, b) { return a * b; },
    local: function (out, a, b) { return [b, a]; },
    explain: function (n, v) { return [[n.b, v.b], [n.a, v.a]]; }},
  "/": {forward: function (a, b) {
      if (b === 0) { throw domainError("/", b, "divisor must be non-zero"); }
      return a / b;
    },
    local: function (out, a, b) { return [1 / b, -a / (b * b)]; },
    explain: function (n, v) {
      return [["1/" + n.b, "1/" + v.b], ["−" + n.a + "/" + n.b + "²", "−" + v.a + "/" + v.b + "²"]];
    }},
  "pow": {forward: function (a, b) {
      if (a < 0) {
        throw domainError("pow", a, "the base must be >= 0 when the exponent is a Value " +
                          "(d/d exponent = base**e * log(base))");
      }
      return checkedPow("**", a, b);
    },
    local: function (out, a, b) { return [dpow(a, b), a > 0 ? out * Math.log(a) : 0]; },
    explain: function (n, v, x) {
      return [[n.b + "·" + n.a + "^(" + n.b + " − 1)", v.b + "·" + v.a + "^(" + v.b + " − 1)"],
              x.a > 0 ? [n.o + "·ln " + n.a, v.o + "·ln " + v.a] : ["0 (ln " + n.a + " needs " + n.a + " > 0)"]];
    }},
  "maximum": {forward: function (a, b) { return a >= b || a !== a ? a : b; },
    local: function (out, a, b) { return tie(a, b); },
    explain: function (n, v, x) {
      var c = compared(x.a, x.b, v.a, v.b);
      return [["1 if " + n.a + " > " + n.b + ", ½ if equal, else 0", c],
              ["1 if " + n.b + " > " + n.a + ", ½ if equal, else 0", c]];
    }},
  "minimum": {forward: function (a, b) { return a <= b || a !== a ? a : b; },
    local: function (out, a, b) { return tie(b, a); },
    explain: function (n, v, x) {
      var c = compared(x.a, x.b, v.a, v.b);
      return [["1 if " + n.a + " < " + n.b + ", ½ if equal, else 0", c],
              ["1 if " + n.b + " < " + n.a + ", ½ if equal, else 0", c]];
    }},
  "neg": {forward: function (a) { return -a; },
    local: function () { return [-1]; },
    explain: function () { return [["−1"]]; }},
  "**": {forward: function (a, b, k) { return checkedPow("**", a, k); },
    local: function (out, a, b, k) { return [dpow(a, k)]; },
    explain: function (n, v) {
      return [[v.k + "·" + n.a + "^(" + v.k + " − 1)", v.k + "·" + v.a + "^(" + v.k + " − 1)"]];
    }},
  "exp": {forward: function (a) {
      var out = Math.exp(a);
      if (out === Infinity && a !== Infinity) {
        throw domainError("exp", a, "the result overflows a float (exp is finite up to ~709.78)");
      }
      return out;
    },
    local: function (out) { return [out]; },
    explain: function (n, v) { return [["exp(" + n.a + ")", "exp(" + v.a + ")"]]; }},
  "log": {forward: function (a) {
      if (a <= 0) { throw domainError("log", a, "operand must be > 0"); }
      return Math.log(a);
    },
    local: function (out, a) { return [1 / a]; },
    explain: function (n, v) { return [["1/" + n.a, "1/" + v.a]]; }},
  "sqrt": {forward: function (a) {
      if (a < 0) { throw domainError("sqrt", a, "operand must be >= 0"); }
      return Math.sqrt(a);
    },
    local: function (out) { return [out > 0 ? 0.5 / out : Infinity]; },
    explain: function (n, v) { return [["1/(2√" + n.a + ")", "1/(2·" + v.o + ")"]]; }},
  "tanh": {forward: Math.tanh,
    local: function (out) { return [1 - out * out]; },
    explain: function (n, v) { return [["1 − tanh²(" + n.a + ")", "1 − " + v.o + "²"]]; }},
  "sigmoid": {forward: sigmoid,
    local: function (out) { return [out * (1 - out)]; },
    explain: function (n, v) {
      return [["σ(" + n.a + ")·(1 − σ(" + n.a + "))", v.o + "·(1 − " + v.o + ")"]];
    }},
  "relu": {forward: function (a) { return a <= 0 ? 0 : a; },    // NaN passes through
    local: function (out, a) { return [a > 0 ? 1 : 0]; },
    explain: function (n, v, x) { return [["1 if " + n.a + " > 0, else 0", positive(x.a, v.a)]]; }},
  "leaky_relu": {forward: function (a, b, alpha) { return a > 0 ? a : a * alpha; },
    local: function (out, a, b, alpha) { return [a > 0 ? 1 : alpha]; },
    explain: function (n, v, x) {
      return [["1 if " + n.a + " > 0, else α = " + v.k, positive(x.a, v.a)]];
    }},
  "elu": {forward: function (a, b, alpha) { return a > 0 ? a : alpha * Math.expm1(a); },
    // α·e^a below 0 (PyTorch's formula: out + α cancels for a << 0); α at 0 itself.
    local: function (out, a, b, alpha) {
      return [a < 0 ? alpha * Math.exp(a) : (a === 0 ? alpha : 1)];
    },
    explain: function (n, v, x) {
      return [["1 if " + n.a + " > 0, else α·e^" + n.a,
               x.a > 0 ? positive(x.a, v.a) : v.k + "·e^" + v.a]];
    }},
  "normal_cdf": {forward: normalCdf,
    local: function (out, a) { return [normalPdf(a)]; },
    explain: function (n, v) {
      return [["φ(" + n.a + ") = exp(−" + n.a + "²/2)/√(2π)", "exp(−" + v.a + "²/2)/√(2π)"]];
    }},
  "gelu": {forward: function (a) { return a * normalCdf(a); },
    local: function (out, a) { return [normalCdf(a) + a * normalPdf(a)]; },
    explain: function (n, v) {
      return [["Φ(" + n.a + ") + " + n.a + "·φ(" + n.a + ")",
               "Φ(" + v.a + ") + " + v.a + "·φ(" + v.a + ")"]];
    }},
  "softplus": {forward: function (a) {
      return a > SOFTPLUS_THRESHOLD ? a : Math.log1p(Math.exp(a));
    },
    local: function (out, a) { return [a > SOFTPLUS_THRESHOLD ? 1 : sigmoid(a)]; },
    explain: function (n, v, x) {
      return [x.a > SOFTPLUS_THRESHOLD ? ["1 (" + n.a + " > 20: softplus is the identity)"]
        : ["σ(" + n.a + ")", "σ(" + v.a + ")"]];
    }},
  "sin": {forward: finiteOnly("sin", Math.sin),
    local: function (out, a) { return [Math.cos(a)]; },
    explain: function (n, v) { return [["cos(" + n.a + ")", "cos(" + v.a + ")"]]; }},
  "cos": {forward: finiteOnly("cos", Math.cos),
    local: function (out, a) { return [-Math.sin(a)]; },
    explain: function (n, v) { return [["−sin(" + n.a + ")", "−sin(" + v.a + ")"]]; }},
  "abs": {forward: Math.abs,
    local: function (out, a) { return [a > 0 ? 1 : a < 0 ? -1 : 0]; },
    explain: function (n, v) { return [["sign(" + n.a + ")", "sign(" + v.a + ")"]]; }},
  "binary_cross_entropy": {forward: function (p, y) {
      if (!(p >= 0 && p <= 1)) {
        throw domainError("binary_cross_entropy", p, "the probability must be in [0, 1]");
      }
      if (!(y >= 0 && y <= 1)) {
        throw domainError("binary_cross_entropy", y, "the target must be in [0, 1]");
      }
      return -(y * clampedLog(p) + (1 - y) * clampedLog(1 - p));
    },
    local: function (out, p, y) {
      var den = p * (1 - p);
      return [(p - y) / (den > BCE_EPSILON ? den : BCE_EPSILON), clampedLog(1 - p) - clampedLog(p)];
    },
    explain: function (n, v) {
      return [["(" + n.a + " − " + n.b + ")/(" + n.a + "·(1 − " + n.a + "))",
               "(" + v.a + " − " + v.b + ")/(" + v.a + "·(1 − " + v.a + "))"],
              ["log(1 − " + n.a + ") − log(" + n.a + ")", "log(1 − " + v.a + ") − log(" + v.a + ")"]];
    }},
  // A neuron's w·x + b as one node: operands (w_1..w_n, b, x_1..x_n), arg = n, summed as
  // Python's sum(w_i*x_i, start=b) (compensated where that Python's sum is).
  "affine": {nary: true,
    forward: function (ops, n, compensated) {
      var s = ops[n], c = 0;
      for (var i = 0; i < n; i++) {
        var x = ops[i] * ops[n + 1 + i];
        if (!compensated) { s += x; continue; }
        var t = s + x;
        c += Math.abs(s) >= Math.abs(x) ? (s - t) + x : (x - t) + s;
        s = t;
      }
      return compensated && c !== 0 && isFinite(c) ? s + c : s;
    },
    local: function (out, ops, n) {
      return ops.slice(n + 1).concat([1], ops.slice(0, n));
    },
    explain: function (n, v) {
      var k = (n.ops.length - 1) / 2, out = [];
      for (var i = 0; i < k; i++) { out.push([n.ops[k + 1 + i], v.ops[k + 1 + i]]); }
      out.push(["1"]);
      for (var j = 0; j < k; j++) { out.push([n.ops[j], v.ops[j]]); }
      return out;
    }}
};
