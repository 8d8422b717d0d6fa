// The home page's SPARQL editor: YASGUI from node_modules, kept offline, with the query catalogue as a picker.
(function () {
  "use strict";
  var endpoint = window.location.origin + "/sparql"; // absolute: a relative URL breaks GET mode
  document.getElementById("endpoint-url").textContent = endpoint;
  if (typeof Yasgui === "undefined") { // not installed (e.g. a wheel without node_modules): the rest of the page works
    document.getElementById("yasgui").textContent =
      "The SPARQL editor needs @zazuko/yasgui: run `npm ci` in the project folder or set EVIDENCEKG_NODE_MODULES.";
    return;
  }
  // Property/class autocompletion would call an internet service: keep only the local completers.
  Yasgui.Yasqe.defaults.autocompleters = ["variables", "prefixes"];
  var catalogue = JSON.parse(document.getElementById("catalogue").textContent);
  var prefixes = JSON.parse(document.getElementById("prefixes").textContent);
  var yasgui = new Yasgui(document.getElementById("yasgui"), {
    requestConfig: { endpoint: endpoint, method: "POST" },
    // Results read as a researcher expects: numbers and strings plain (compact: no "0.17"^^xsd:decimal),
    // IRIs as prefixed names (the project's prefixes and the query's own), long texts cut to fit the page.
    yasr: { prefixes: prefixes },
    endpointCatalogueOptions: { getData: function () { return [{ endpoint: endpoint }]; } },
    copyEndpointOnNewTab: true,
    persistenceId: null,
  });
  window.yasgui = yasgui;
  var READABLE = { compact: true, isEllipsed: true, pageSize: 50 };
  function readable(tab) {
    var yasr = tab && tab.getYasr();
    var table = yasr && yasr.config.plugins.table;
    if (table) { table.dynamicConfig = Object.assign({}, table.dynamicConfig, READABLE); }
  }
  readable(yasgui.getTab());
  yasgui.on("tabAdd", function (instance, id) { readable(yasgui.getTab(id)); });
  // The editor takes the focus when it is built, which scrolls the page down to it: a visitor should
  // land at the top, where the page says what the store holds (a #fragment still decides where to be).
  if (!location.hash) { window.scrollTo(0, 0); requestAnimationFrame(function () { window.scrollTo(0, 0); }); }

  function chosen() {
    var name = document.getElementById("query-picker").value;
    return catalogue.filter(function (q) { return q.name === name; })[0];
  }

  function describe(query) {
    var text = query ? query.description : "";
    if (query && query.params.length) {
      text += " Parameters: " + query.params.map(function (p) { return p.name + " (" + p.description + ")"; }).join("; ") +
        ". Bind them by editing the query, or run it at /queries/" + query.name + "?" +
        query.params.map(function (p) { return p.name + "=…"; }).join("&") + ".";
    }
    document.getElementById("query-description").textContent = text;
  }

  document.getElementById("query-picker").addEventListener("change", function () {
    var query = chosen();
    describe(query);
    if (query) { yasgui.getTab().getYasqe().setValue(query.text); }
  });
  document.getElementById("run-query").addEventListener("click", function () {
    yasgui.getTab().getYasqe().query();
  });
})();
