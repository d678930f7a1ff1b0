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
      // On a phone the toolbar would sit over the chart's title (issue 19 item 11): no toolbar there.
      const config = Object.assign({}, figure.config, window.innerWidth < 760 ? {displayModeBar: false} : {});
      window.Plotly.newPlot(div, figure.data, figure.layout, config).then(function () {
        div.dataset.drawn = "1";
        if (Array.prototype.every.call(divs, function (d) { return d.dataset.drawn === "1"; })) {
          document.documentElement.dataset.chartsDrawn = String(performance.now());
        }
      });
    });
  }
  // Responsive charts follow window resizes only; printing changes the page width without one, so
  // redraw at the printed width (and back afterwards).
  function fit() {
    document.querySelectorAll("div.plotly-figure[data-drawn]").forEach(function (div) {
      window.Plotly.Plots.resize(div);
    });
  }
  if (window.matchMedia) window.matchMedia("print").addEventListener("change", fit);
  window.addEventListener("beforeprint", fit);
  window.addEventListener("afterprint", fit);
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw);
  else draw();
})();
