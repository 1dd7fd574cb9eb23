// The script of a report page, run by the reader's browser: renders every diagram of the page
// with the Mermaid inlined in it, then colours the arrows of coverage diagrams (Mermaid's state
// diagrams cannot style one arrow, so the arrows are found by their labels in the SVG). When it
// is done, `document.body.dataset.diagrams` is `rendered`, or `failed` after an error on the
// console; tests wait for it. Without Mermaid (the page was written where node_modules/mermaid
// was missing) the sources stay readable as text.

/** JavaScript of the page, as inlined. Plain ES2020, no modules, no network. */
export const CLIENT_SCRIPT = String.raw`
(function () {
  'use strict';
  var norm = function (s) { return String(s).replace(/\s+/g, ''); };
  function colourEdges(box, edges) {
    var labels = Array.prototype.slice.call(box.querySelectorAll('g.edgeLabel .label[data-id]'));
    var used = new Set();
    var missing = 0;
    edges.forEach(function (e) {
      var want = norm(e.label);
      var label = labels.find(function (l) { return !used.has(l) && norm(l.textContent) === want; });
      if (!label) { missing++; console.error('sanspec report: no arrow labelled "' + e.label + '" in ' + box.dataset.diagram); return; }
      used.add(label);
      var cls = e.taken ? 'taken' : 'untaken';
      var path = box.querySelector('path[data-id="' + label.dataset.id + '"]');
      if (path) path.classList.add('edge-' + cls);
      var group = label.closest('g.edgeLabel');
      if (group) group.classList.add('label-' + cls);
    });
    return missing;
  }
  async function renderAll() {
    var data = JSON.parse(document.getElementById('sanspec-diagrams').textContent);
    if (typeof window.mermaid === 'undefined') {
      document.body.dataset.diagrams = 'unrendered';
      return;
    }
    window.mermaid.initialize({
      startOnLoad: false,
      securityLevel: 'strict',
      theme: 'default',
      look: 'classic',
      fontFamily: '"DejaVu Sans", Verdana, Geneva, sans-serif',
      sequence: { useMaxWidth: true, noteMargin: 8, messageMargin: 28 },
      state: { useMaxWidth: true }
    });
    var failed = 0;
    for (var i = 0; i < data.length; i++) {
      var d = data[i];
      var box = document.querySelector('[data-diagram="' + d.id + '"]');
      if (!box) { failed++; console.error('sanspec report: no place for diagram ' + d.id); continue; }
      try {
        var out = await window.mermaid.render('svg-' + d.id, d.source);
        box.innerHTML = out.svg;
        box.classList.add('rendered');
        if (d.edges && colourEdges(box, d.edges) > 0) failed++;
      } catch (err) {
        failed++;
        box.classList.add('render-error');
        console.error('sanspec report: diagram ' + d.id + ' did not render: ' + (err && err.message ? err.message : err));
      }
    }
    document.body.dataset.diagrams = failed > 0 ? 'failed' : 'rendered';
  }
  renderAll().catch(function (err) {
    document.body.dataset.diagrams = 'failed';
    console.error('sanspec report: ' + (err && err.message ? err.message : err));
  });
})();
`;
