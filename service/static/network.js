// The construct network page: Cytoscape.js over /api/network, filters, detail panel and path finder.
(function () {
  "use strict";

  const config = JSON.parse(document.getElementById("network-config").textContent);
  const panel = document.getElementById("network-panel");
  // The forms only drive the graph: never submit them (an inline onsubmit would break the CSP).
  ["network-controls", "path-form"].forEach((id) => document.getElementById(id).addEventListener("submit", (event) => event.preventDefault()));
  const RELATION_TEXT = { "=": "=", "<": "<" };

  // Build a DOM element: el("a", {href: "..."}, "text", child, ...). Text is never parsed as HTML.
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([key, value]) => {
      if (value !== undefined && value !== null) node.setAttribute(key, value);
    });
    children.flat(Infinity).forEach((child) => {
      if (child === undefined || child === null || child === false) return;
      node.append(child instanceof Node ? child : String(child));
    });
    return node;
  }

  // Replace the panel's content (arrays are flattened, empty parts skipped).
  function fill(...children) {
    panel.replaceChildren(...children.flat(Infinity).filter((c) => c !== null && c !== undefined && c !== false));
  }

  // An address a link may have (as evidencekg.pages.links.safe_href): http(s), mailto or this site, else null
  // (el() then writes no href, so a javascript: or data: IRI shows as text).
  function safeHref(url) {
    if (!url || /[\u0000-\u0020\u007f-\u009f]/.test(url)) return null;
    const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(url);
    if (scheme) return ["http", "https", "mailto"].includes(scheme[1].toLowerCase()) ? url : null;
    return /^[?#]/.test(url) || (url.startsWith("/") && !/^\/[\/\\]/.test(url)) ? url : null;
  }

  // A local address for an evidencekg IRI (/id/...), else the IRI itself when it is safe to follow.
  function local(iri) {
    return safeHref(iri && iri.startsWith(config.idBase) ? "/id/" + iri.slice(config.idBase.length) : iri);
  }

  function slug(iri) {
    return iri.split("/").pop();
  }

  function fmt(value) {
    if (value === undefined || value === null) return "—";
    const rounded = Math.round(value * 100) / 100;
    return rounded === value ? value.toFixed(2) : String(value);
  }

  function significanceText(value) {
    if (value === true) return "yes (CI excludes 0, or p < .05)";
    if (value === false) return "no";
    return "unknown (no CI or p reported)";
  }

  function numbers(d) {
    const rows = [
      ["estimate", `${d.measure_name || "r"} = ${fmt(d.estimate)}`],
      ["95% CI", d.ci_lower !== undefined ? `[${fmt(d.ci_lower)}, ${fmt(d.ci_upper)}]` : "not reported"],
      ["p", d.p !== undefined ? `p ${RELATION_TEXT[d.p_relation] || "="} ${d.p}` : "not reported"],
      ["k (studies)", d.k !== undefined ? d.k : (d.k_description || "not reported")],
      ["N", d.n !== undefined ? d.n : "not reported"],
      ["significant", significanceText(d.significant)],
      ["statement", STATEMENT[d.finding_type] ? STATEMENT[d.finding_type](d) : (d.finding_type || "unspecified")],
    ];
    if (d.pooling_method) rows.push(["pooling method", d.pooling_method]);
    if (d.generated_at) rows.push(["computed", d.generated_at]);
    if (d.subgroup) rows.push(["subgroup", d.subgroup]);
    return el("dl", { class: "finding-numbers" }, rows.map(([k, v]) => [el("dt", {}, k), el("dd", { "data-field": k }, v)]));
  }

  const STATEMENT = {
    derived: () => "derived: pooled by evidencekg, not reported by a source",
    studies: (d) => `pooled by evidencekg (REML) from the ${d.k} primary studies below; not a reported figure`,
  };

  // The primary studies behind a pooled edge: each study's own finding, with a link to its page.
  function studiesBlock(d) {
    const items = (d.studies || []).map((s) => el("li", {},
      el("a", { href: local(s.finding) }, s.publication_label || slug(s.finding)), `: ${s.label || fmt(s.estimate)}`,
      s.n !== undefined ? `, N = ${s.n}` : ""));
    return [
      el("h3", {}, `Studies (${(d.studies || []).length})`),
      el("ul", { class: "edge-studies" }, items),
      el("p", { class: "note" }, el("a", { href: d.meta_href }, "meta-analysis of this pair"), " · ",
        el("a", { href: d.forest_href }, "forest plot")),
    ];
  }

  function sourceBlock(d) {
    const items = [];
    const inputs = (d.derived_from || "").split(" ").filter(Boolean);
    if (inputs.length) {
      items.push(el("p", {}, `Pooled from ${inputs.length} finding${inputs.length > 1 ? "s" : ""}:`));
      items.push(el("ul", { class: "derived-inputs" }, inputs.map((iri) => el("li", {}, el("a", { href: local(iri) }, slug(iri))))));
    }
    if (d.citation) items.push(el("p", { class: "citation" }, d.citation));
    if (d.cited_in) items.push(el("p", { class: "cited-in" }, "As cited in ", el("a", { href: local(d.cited_in) }, d.cited_in_label || slug(d.cited_in)), " (the figure is read from that document, not from the publication itself)"));
    if (d.doi) items.push(el("p", {}, "DOI ", el("a", { href: "https://doi.org/" + d.doi, class: "external", rel: "noopener" }, d.doi)));
    (d.sources || []).forEach((s) => {
      items.push(el("blockquote", { class: "provenance" }, s.text));
      const doc = s.document ? el("a", { href: local(s.document) }, s.document_title || slug(s.document)) : "source document unknown";
      items.push(el("p", { class: "note" }, "— ", doc, " · ", el("a", { href: local(s.sentence) }, "sentence")));
    });
    return items;
  }

  function showEdge(edge) {
    const d = edge.data();
    const from = edge.source().data("label");
    const to = edge.target().data("label");
    if (d.kind !== "finding") {
      fill(el("h2", {}, `${from} → ${to}`), el("p", {}, d.label || d.kind));
      return;
    }
    const forest = `/plots/forest?a=${encodeURIComponent(slug(edge.source().id()))}&b=${encodeURIComponent(slug(edge.target().id()))}`;
    if (d.finding_type === "studies") {
      fill(el("h2", {}, `${from} → ${to}`), el("p", { class: "edge-label" }, d.label), numbers(d), studiesBlock(d));
      return;
    }
    fill(
      el("h2", {}, `${from} → ${to}`),
      el("p", { class: "edge-label" }, d.label),
      numbers(d),
      el("h3", {}, "Source"),
      sourceBlock(d),
      el("p", { class: "note" },
        el("a", { href: local(d.finding) }, "finding page"), " · ",
        el("a", { href: forest }, "forest plot of this pair")),
    );
  }

  function findingItem(edge) {
    const d = edge.data();
    const link = el("a", { href: "#", "data-edge": edge.id() }, `${edge.source().data("label")} → ${edge.target().data("label")}`);
    link.addEventListener("click", (event) => { event.preventDefault(); cy.elements().unselect(); edge.select(); showEdge(edge); });
    return el("li", {}, link, `: ${d.label}`, d.source_label ? ` (${d.source_label})` : "");
  }

  function showNode(node) {
    const d = node.data();
    if (d.kind !== "construct") {
      fill(el("h2", {}, d.label), el("p", { class: "kind" }, d.kind), el("p", {}, d.text),
        el("p", { class: "note" }, el("a", { href: local(d.iri) }, "open its page")));
      return;
    }
    const findings = node.connectedEdges(".finding");
    const layered = node.neighborhood("node.implication, node.mechanism");
    const implications = layered.filter(".implication");
    const mechanisms = layered.filter(".mechanism");
    fill(
      el("h2", {}, d.label),
      d.definition ? el("p", { class: "note" }, d.definition) : null,
      el("p", { class: "note" }, el("a", { href: local(d.iri) }, "construct page")),
      el("h3", {}, `Findings (${findings.length})`),
      el("ul", { class: "node-findings" }, findings.map(findingItem)),
      el("h3", {}, `Practice implications (${implications.length})`),
      el("ul", { class: "node-implications" }, implications.map((n) => el("li", {}, n.data("text")))),
      mechanisms.length ? [el("h3", {}, `Proposed mechanisms (${mechanisms.length})`),
        el("ul", {}, mechanisms.map((n) => el("li", {}, n.data("text"))))] : null,
    );
  }

  const FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif';
  const NODE_TEXT = { construct: [13, 120], mechanism: [10, 150], implication: [10, 150] };  // font px, wrap width px
  const measure = document.createElement("canvas").getContext("2d");

  // The box a label needs when wrapped at maxWidth (node sizes are data, not the deprecated "label" size).
  function labelBox(text, size, maxWidth) {
    measure.font = `${size}px ${FONT}`;
    const lines = [];
    String(text).split(/\s+/).forEach((word) => {
      const last = lines.length ? lines[lines.length - 1] : null;
      if (last !== null && measure.measureText(`${last} ${word}`).width <= maxWidth) lines[lines.length - 1] = `${last} ${word}`;
      else lines.push(word);
    });
    const width = Math.max(...lines.map((line) => measure.measureText(line).width));
    return { w: Math.ceil(width) + 18, h: Math.ceil(lines.length * size * 1.25) + 14 };
  }

  const style = [
    { selector: "node", style: {
      "label": "data(label)", "text-wrap": "wrap", "text-max-width": "120px", "text-valign": "center",
      "font-size": 13, "font-family": FONT, "shape": "round-rectangle", "width": "data(w)", "height": "data(h)",
      "background-color": "#f2f2f2", "border-width": 1, "border-color": "#444" } },
    { selector: "node.mechanism", style: { "background-color": "#ede3f6", "font-size": 10, "text-max-width": "150px" } },
    { selector: "node.implication", style: { "background-color": "#e3f3e6", "font-size": 10, "text-max-width": "150px" } },
    { selector: "edge", style: {
      "curve-style": "bezier", "target-arrow-shape": "triangle", "width": 1, "line-color": "#8c8c8c",
      "target-arrow-color": "#8c8c8c", "arrow-scale": 0.8 } },
    { selector: "edge.finding", style: {
      "curve-style": "unbundled-bezier", "control-point-distances": "data(bow)", "control-point-weights": 0.5,
      "width": "data(width)", "line-color": "data(colour)", "target-arrow-color": "data(colour)",
      "label": "data(caption)", "text-wrap": "wrap", "font-size": 11, "color": "data(colour)", "text-background-color": "#fff",
      "text-background-opacity": 0.9, "text-background-padding": "2px" } },
    { selector: "edge.not-significant", style: { "line-style": "dashed" } },
    { selector: "edge.derived", style: {
      "line-color": "#fff", "line-outline-width": 2, "line-outline-color": "data(colour)", "font-style": "italic" } },
    { selector: "edge.studies", style: {
      "mid-target-arrow-shape": "diamond", "mid-target-arrow-color": "data(colour)", "arrow-scale": 1.1, "font-weight": "bold" } },
    { selector: "edge.componentOf, edge.broader", style: {
      "line-style": "dashed", "curve-style": "taxi", "taxi-direction": "horizontal", "taxi-radius": 4 } },
    { selector: "edge.mechanismOf, edge.affects, edge.about", style: { "line-style": "dotted", "line-color": "#b8a9c9", "target-arrow-color": "#b8a9c9" } },
    { selector: ".layer-hidden, .filtered", style: { "display": "none" } },
    { selector: ":selected", style: { "overlay-color": "#0b5cad", "overlay-opacity": 0.15 } },
    { selector: ".on-path", style: { "underlay-color": "#f2c200", "underlay-opacity": 0.5, "underlay-padding": 6 } },
  ];

  let cy = null;
  const controls = {
    significant: document.getElementById("filter-significant"),
    source: document.getElementById("filter-source"),
    mechanisms: document.getElementById("show-mechanisms"),
    implications: document.getElementById("show-implications"),
  };

  // Apply filters and layer toggles, then report what is shown.
  function applyFilters() {
    const onlySignificant = controls.significant.checked;
    const source = controls.source.value;
    cy.batch(() => {
      cy.edges(".finding").forEach((edge) => {
        const hide = (onlySignificant && edge.data("significant") !== true) || (source && edge.data("publication") !== source);
        edge.toggleClass("filtered", hide);
      });
      cy.nodes(".mechanism").toggleClass("layer-hidden", !controls.mechanisms.checked);
      cy.nodes(".implication").toggleClass("layer-hidden", !controls.implications.checked);
    });
    const constructs = cy.nodes(".construct").length;
    const shown = cy.edges(".finding").filter((e) => !e.hasClass("filtered")).length;
    const counts = document.getElementById("network-counts");
    const pooled = cy.edges(".finding.studies");
    const folded = pooled.reduce((n, e) => n + (e.data("studies") || []).length, 0);
    counts.textContent = `${constructs} constructs, ${shown} of ${cy.edges(".finding").length} finding edges shown` +
      (pooled.length ? ` (${folded} study findings pooled into ${pooled.length} edge${pooled.length > 1 ? "s" : ""})` : "");
    counts.dataset.constructs = constructs;
    counts.dataset.findings = shown;
  }

  function fillSelects() {
    const sources = new Map();
    cy.edges(".finding").forEach((e) => { if (e.data("publication")) sources.set(e.data("publication"), e.data("publication_label") || slug(e.data("publication"))); });
    [...sources.entries()].sort((a, b) => a[1].localeCompare(b[1])).forEach(([iri, label]) => controls.source.append(el("option", { value: iri }, label)));
    const constructs = cy.nodes(".construct").map((n) => [slug(n.id()), n.data("label")]).sort((a, b) => a[1].localeCompare(b[1]));
    ["path-from", "path-to"].forEach((id, i) => {
      const select = document.getElementById(id);
      constructs.forEach(([value, label]) => select.append(el("option", { value }, label)));
      const preferred = i === 0 ? "attachment-avoidance" : "psychotherapy-outcome";
      if (constructs.some(([value]) => value === preferred)) select.value = preferred;
    });
  }

  function showPaths(result) {
    cy.elements().removeClass("on-path");
    if (!result.paths.length) {
      fill(el("h2", {}, "No path"), el("p", {}, `No path of at most ${result.max_hops} hops.`));
      return;
    }
    const items = result.paths.map((path, index) => {
      const hops = path.hops.map((hop) => el("li", {}, `${hop.from_label} → ${hop.to_label}: `,
        hop.kind === "finding" ? `r = ${fmt(hop.r)}${hop.reversed ? " (stated the other way)" : ""} (${hop.findings.length} finding${hop.findings.length > 1 ? "s" : ""})`
          : `scheme structure, ${hop.kind} (${hop.relation})`));
      const product = path.naive_product !== null
        ? el("p", { class: "note naive-product" }, `naive product of r = ${path.naive_product.toFixed(4)}: ${path.naive_product_note}`) : null;
      return el("li", { "data-path": index }, path.labels.join(" → "), el("ul", {}, hops), product);
    });
    fill(el("h2", {}, `Paths (${result.paths.length})`), el("ol", { class: "paths" }, items));
    const first = result.paths[0];
    first.nodes.forEach((id) => cy.getElementById(id).addClass("on-path"));
    first.hops.forEach((hop) => {
      const id = hop.chosen || `${hop.kind === "up" ? hop.from : hop.to}|${hop.relation}|${hop.kind === "up" ? hop.to : hop.from}`;
      cy.getElementById(id).addClass("on-path");
    });
  }

  async function findPaths() {
    const from = document.getElementById("path-from").value;
    const to = document.getElementById("path-to").value;
    if (from === to) { fill(el("p", { class: "error" }, "Choose two different constructs.")); return; }
    const response = await fetch(`/api/network/paths?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`);
    const body = await response.json();
    if (!response.ok) { fill(el("p", { class: "error" }, JSON.stringify(body.detail))); return; }
    showPaths(body);
  }

  async function start() {
    const response = await fetch("/api/network");
    if (!response.ok) { fill(el("p", { class: "error" }, `could not load the network (${response.status})`)); return; }
    const graph = await response.json();
    graph.elements.nodes.forEach((node) => {
      const [size, wrap] = NODE_TEXT[node.data.kind] || NODE_TEXT.construct;
      Object.assign(node.data, labelBox(node.data.label, size, wrap));
      // the library places a narrower construct by its left edge, right of its parent's trunk
      if (node.data.anchor === "left" && node.position) node.position.x += node.data.w / 2;
    });
    const parallel = new Map();  // findings between the same two constructs: the first straight, the rest bow upwards
    const xOf = new Map(graph.elements.nodes.map((n) => [n.data.id, n.position ? n.position.x : 0]));
    graph.elements.edges.filter((e) => e.data.kind === "finding").sort((a, b) => a.data.id.localeCompare(b.data.id)).forEach((edge) => {
      const d = edge.data;
      let source = d.cited_in_label ? d.publication_label : d.source_label;
      const inputs = (d.derived_from || "").split(" ").filter(Boolean).length;
      if (d.finding_type === "derived") source = `derived (${[d.pooling_method, (d.k || inputs) ? `k = ${d.k || inputs}` : ""].filter(Boolean).join(", ") || "pooled"})`;
      if (d.finding_type === "studies") source = `pooled, ${d.k} studies`;
      d.caption = [d.finding_type === "studies" ? d.label.replace(/, k = \d+$/, "") : d.label,
        [source, d.subgroup].filter(Boolean).join(", "), d.cited_in_label ? `as cited in ${d.cited_in_label}` : ""].filter(Boolean).join("\n");
      const pair = [d.source, d.target].sort().join(" ");
      const index = parallel.get(pair) || 0;
      parallel.set(pair, index + 1);
      d.bow = index * 70 * (xOf.get(d.target) >= xOf.get(d.source) ? -1 : 1);
    });
    if (typeof cytoscape === "undefined") { // not installed (e.g. a wheel without node_modules)
      document.getElementById("cy").textContent =
        "The network view needs cytoscape: run `npm ci` in the project folder or set EVIDENCEKG_NODE_MODULES.";
      return;
    }
    cy = cytoscape({
      container: document.getElementById("cy"),
      elements: graph.elements,
      style: style,
      layout: { name: "preset", fit: true, padding: 30 },
    });
    window.cy = cy;
    cy.on("tap", "edge", (event) => showEdge(event.target));
    cy.on("tap", "node", (event) => showNode(event.target));
    Object.values(controls).forEach((control) => control.addEventListener("change", () => { applyFilters(); cy.fit(cy.elements(":visible"), 30); }));
    document.getElementById("path-go").addEventListener("click", findPaths);
    document.getElementById("path-clear").addEventListener("click", () => cy.elements().removeClass("on-path"));
    fillSelects();
    applyFilters();
    cy.fit(cy.elements(":visible"), 30);
    document.body.dataset.networkReady = "true";
  }

  start();
})();
