// The training film (viz/film.py): one scrubber over the recorded steps repaints the
// module graph (and the node-level graph when there is one) and moves the marker on the
// loss curve. Uses frames.js. `film(root)` wires one widget and sets root.glassgrad.
function film(root) {
  var data = JSON.parse(root.querySelector(".gg-data").textContent);
  var modules = framePainter(root.querySelector(".gg-modules"), data.modules);
  var graph = data.graph ? framePainter(root.querySelector(".gg-nodes"), data.graph) : null;
  var marker = root.querySelector(".gg-marker"), now = root.querySelector(".gg-now");
  var steps = stepper(root, data.steps.length, function (k) {
    modules.show(k);
    if (graph) { graph.show(k); }
    var p = data.curve[k];
    marker.setAttribute("cx", p[0]);
    marker.setAttribute("cy", p[1]);
    now.setAttribute("x1", p[0]);
    now.setAttribute("x2", p[0]);
    return data.modules.frames[k].caption;
  });
  steps.go(0);
  root.glassgrad = {
    nodes: function () {
      var k = steps.at();
      return data.modules.nodes.map(function (m, i) {
        return {id: m.id, label: m.label, op: m.op, data: null, grad: data.norms[i][k]};
      });
    },
    frames: function () { return data.steps.length; },
    frame: function (k) { if (k !== undefined) { steps.go(k); } return steps.at(); },
    steps: function () { return data.steps.slice(); },
    losses: function () { return data.losses.map(num); },
    ready: true,
    readyMs: performance.now()
  };
}

