// Draws every dashboard figure: a div.plotly-figure names the JSON script (Django's json_script)
// that holds {data, layout, config}, built and escaped on the server. No inline scripts, no CDN.
(function () {
  "use strict";
  function draw() {
    const divs = document.querySelectorAll("div.plotly-figure[data-figure]");
    divs.forEach(function (div) {
      const source = document.getElementById(div.dataset.figure);
      if (!source) return;
      let figure;
      try { figure = JSON.parse(source.textContent); } catch (e) { div.textContent = "This chart could not be read."; return; }
      window.Plotly.newPlot(div, figure.data, figure.layout, figure.config).then(function () {
        div.dataset.drawn = "1";
        if (Array.prototype.every.call(divs, function (d) { return d.dataset.drawn === "1"; })) {
          document.documentElement.dataset.chartsDrawn = String(performance.now());
        }
      });
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw);
  else draw();
})();
