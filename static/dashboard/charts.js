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
      const width = div.clientWidth || window.innerWidth;
      if (width < NARROW) narrow(figure.data, figure.layout, width);
      window.Plotly.newPlot(div, figure.data, figure.layout, config).then(function () {
        div.dataset.drawn = "1";
        if (Array.prototype.every.call(divs, function (d) { return d.dataset.drawn === "1"; })) {
          document.documentElement.dataset.chartsDrawn = String(performance.now());
        }
      });
    });
  }
  // A phone's width (new-user trial at 390 px): the server lays figures out for a desktop column; on a narrow
  // one, titles ran off the right edge, the "none" labels of empty weeks ran together, the x-axis title sat on
  // the slanted tick labels, and long category names ("Unidentified (own or unknown server)") squeezed
  // horizontal bars to a few pixels. Adjusted here, where the width is known; the hover text keeps every name.
  const NARROW = 560, CHAR_PX = 7.6, LABEL_CHARS = 22;
  function wrap(text, chars) {
    const lines = [];
    let line = "";
    String(text).split(" ").forEach(function (word) {
      if (line && (line + " " + word).length > chars) { lines.push(line); line = word; }
      else line = line ? line + " " + word : word;
    });
    if (line) lines.push(line);
    return lines;
  }
  function shortened(label) {
    const text = String(label);
    return text.length > LABEL_CHARS ? text.slice(0, LABEL_CHARS - 1).trimEnd() + "\u2026" : text;
  }
  function narrow(data, layout, width) {
    const margin = layout.margin = Object.assign({l: 60, r: 20, t: 48, b: 100}, layout.margin);
    const title = layout.title && layout.title.text;
    if (title && title.indexOf("<br>") < 0) {
      const lines = wrap(title, Math.max(16, Math.floor((width - 16) / 8.6)));
      if (lines.length > 1) {
        layout.title.text = lines.join("<br>");
        margin.t += 19 * (lines.length - 1);
        if (layout.height) layout.height += 19 * (lines.length - 1);
      }
    }
    ["xaxis", "yaxis"].forEach(function (name) {
      const axis = layout[name];
      if (!axis) return;
      axis.automargin = true;  // the server's fixed margins are a desktop's; on a phone let plotly make room
      const text = axis.title && axis.title.text;
      if (name === "xaxis" && text && text.indexOf("<br>") < 0) {
        const lines = wrap(text, Math.floor((width - margin.l - margin.r) / CHAR_PX));
        axis.title.text = lines.join("<br>");
        axis.title.standoff = 12;
      }
    });
    // Repeated labels over the plot (the empty weeks' "none"): too many for the width, a dash each; the
    // grey band and the hover text still say it.
    const notes = layout.annotations || [];
    const slots = (layout.xaxis && layout.xaxis.tickvals || notes).length || 1;
    const longest = Math.max.apply(null, notes.map(function (note) { return String(note.text || "").length; }).concat([0]));
    if (notes.length > 2 && longest * 5.6 > 0.8 * (width - margin.l - margin.r) / slots) {
      notes.forEach(function (note) { note.text = "\u2013"; });
    }
    // Horizontal bars: long category names shortened on the axis (not in the hover text).
    const horizontal = data.filter(function (trace) { return trace.orientation === "h" && Array.isArray(trace.y); });
    if (horizontal.length && layout.yaxis) {
      const names = [];
      horizontal.forEach(function (trace) {
        trace.y.forEach(function (y) { if (names.indexOf(y) < 0) names.push(y); });
        if (!trace.hovertemplate) trace.hovertemplate = "%{y}: %{x}<extra>" + (trace.name || "") + "</extra>";
      });
      if (names.some(function (y) { return String(y).length > LABEL_CHARS; })) {
        layout.yaxis.tickvals = names;
        layout.yaxis.ticktext = names.map(shortened);
        margin.l = Math.min(margin.l, 24 + Math.round(CHAR_PX * LABEL_CHARS));
      }
    }
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
