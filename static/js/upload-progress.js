// Polls the upload's status row while the import runs, then reloads to show the summary.
(function () {
  const box = document.getElementById("progress");
  if (!box || box.dataset.finished) return;
  const bar = document.getElementById("progress-bar");
  const label = document.getElementById("status-label");
  const rows = document.getElementById("rows-done");
  async function poll() {
    try {
      const response = await fetch(box.dataset.statusUrl, {headers: {"Accept": "application/json"}});
      if (response.ok) {
        const data = await response.json();
        bar.value = data.percent;
        bar.textContent = data.percent + "%";
        label.textContent = data.status_label;
        rows.textContent = data.rows_done;
        if (data.finished) { window.location.reload(); return; }
      }
    } catch (e) { /* network hiccup: try again */ }
    setTimeout(poll, 700);
  }
  poll();
})();
