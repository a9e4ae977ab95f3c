// The backward-steps page (viz/steps.py): frames.js's painter under a slider.
function stepsPage(root) {
  var data = JSON.parse(root.querySelector(".gg-data").textContent);
  var painter = framePainter(root.querySelector(".gg-graph"), data);
  var steps = stepper(root, data.frames.length, function (k) {
    painter.show(k);
    return data.frames[k].caption;
  });
  root.glassgrad = {
    nodes: function () { return data.nodes; },
    frames: function () { return data.frames.length; },
    backwardStep: steps.go,
    frame: steps.at,
    ready: true
  };
  steps.go(0);
}
