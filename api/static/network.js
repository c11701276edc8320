/* The network page (/network): filters without a reload, neighbours highlighted on hover and focus.
 *
 * The page works without this file: the form reloads the page with ?chapter= &population= &role=
 * and the server draws only the matching subgraph. When the server drew the whole network, this
 * script applies the same filters in place (the rules of api/networkpage.py `select`), hiding the
 * SVG elements and table rows that do not match, and keeps the address in step (history.replaceState),
 * so reloading or sharing the page gives the server's picture of the same filters. When the server
 * drew a filtered picture, the form still submits as usual.
 */
(function () {
  "use strict";

  var svg = document.getElementById("network-svg");
  var form = document.getElementById("network-filters");
  if (!svg || !form) {
    return;
  }
  var status = document.getElementById("network-status");
  var table = document.getElementById("network-links");
  var clear = document.getElementById("network-clear");
  var nodes = Array.prototype.slice.call(svg.querySelectorAll("a.node"));
  var edges = Array.prototype.slice.call(svg.querySelectorAll("path.edge"));
  var headings = Array.prototype.slice.call(svg.querySelectorAll("text.chapter-heading"));
  var rows = table ? Array.prototype.slice.call(table.querySelectorAll("tbody tr")) : [];
  var byId = {};
  var narrower = {};

  nodes.forEach(function (node) {
    var id = node.getAttribute("data-id");
    byId[id] = node;
    (node.getAttribute("data-broader") || "").split(" ").forEach(function (parent) {
      if (parent) {
        (narrower[parent] = narrower[parent] || []).push(id);
      }
    });
  });

  function below(population) {
    var found = {};
    var stack = [population];
    found[population] = true;
    while (stack.length) {
      (narrower[stack.pop()] || []).forEach(function (child) {
        if (!found[child]) {
          found[child] = true;
          stack.push(child);
        }
      });
    }
    return found;
  }

  function value(name) {
    var field = form.elements[name];
    return field ? field.value : "";
  }

  /* The same rules as the server: items pass every filter; edges pass their own kind's filter. */
  function apply() {
    var chapter = value("chapter");
    var population = value("population");
    var role = value("role");
    var active = Boolean(chapter || population || role);
    var chosen = population ? below("population/" + population) : null;

    function passes(element) {
      if (element.getAttribute("data-kind") === "population") {
        return !chosen || Boolean(chosen[element.getAttribute("data-target")]);
      }
      return !role || element.getAttribute("data-role") === role;
    }

    var kinds = {};
    edges.forEach(function (edge) {
      if (passes(edge)) {
        var item = edge.getAttribute("data-source");
        (kinds[item] = kinds[item] || {})[edge.getAttribute("data-kind")] = true;
      }
    });
    var keptItems = {};
    var chapters = {};
    nodes.forEach(function (node) {
      if (node.getAttribute("data-kind") !== "item") {
        return;
      }
      var id = node.getAttribute("data-id");
      var has = kinds[id] || {};
      var keep = (!chapter || node.getAttribute("data-chapter") === chapter) &&
        (!chosen || has.population) && (!role || has.body);
      if (keep) {
        keptItems[id] = true;
        chapters[node.getAttribute("data-chapter")] = true;
      }
    });
    var ends = {};
    var shownEdges = 0;
    function edgeShown(element) {
      return Boolean(keptItems[element.getAttribute("data-source")]) && passes(element);
    }
    edges.forEach(function (edge) {
      var show = edgeShown(edge);
      edge.classList.toggle("is-hidden", !show);
      if (show) {
        ends[edge.getAttribute("data-target")] = true;
        shownEdges += 1;
      }
    });
    rows.forEach(function (row) {
      row.classList.toggle("is-hidden", !edgeShown(row));
    });
    if (population) {
      ends["population/" + population] = true;
    }
    var counts = { items: 0, populations: 0, bodies: 0 };
    nodes.forEach(function (node) {
      var id = node.getAttribute("data-id");
      var kind = node.getAttribute("data-kind");
      var show = kind === "item" ? Boolean(keptItems[id]) : !active || Boolean(ends[id]);
      node.classList.toggle("is-hidden", !show);
      node.classList.toggle("is-chosen", Boolean(chosen && chosen[id]));
      if (show) {
        counts[kind === "item" ? "items" : kind === "population" ? "populations" : "bodies"] += 1;
      }
    });
    headings.forEach(function (heading) {
      heading.classList.toggle("is-hidden", !chapters[heading.getAttribute("data-chapter")]);
    });
    if (status && status.getAttribute("data-template")) {
      status.textContent = status.getAttribute("data-template")
        .replace("{items}", counts.items).replace("{populations}", counts.populations)
        .replace("{bodies}", counts.bodies).replace("{edges}", shownEdges);
    }
    if (clear) {
      clear.hidden = !active;
    }
    if (window.history && window.history.replaceState && window.URLSearchParams) {
      var params = new URLSearchParams();
      if (chapter) { params.set("chapter", chapter); }
      if (population) { params.set("population", population); }
      if (role) { params.set("role", role); }
      params.set("lang", value("lang") || document.documentElement.lang || "zh");
      window.history.replaceState(null, "", window.location.pathname + "?" + params.toString());
    }
  }

  /* Only the whole network can be filtered in place; a filtered picture lacks the other nodes. */
  if (svg.getAttribute("data-filtered") === "false") {
    form.addEventListener("change", apply);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      apply();
    });
    if (clear) {
      clear.addEventListener("click", function (event) {
        event.preventDefault();
        ["chapter", "population", "role"].forEach(function (name) {
          if (form.elements[name]) { form.elements[name].value = ""; }
        });
        apply();
      });
    }
  }

  /* Hover or focus a node: it, its neighbours and the edges between them stand out. */
  function highlight(node) {
    var id = node.getAttribute("data-id");
    svg.classList.add("is-highlighting");
    node.classList.add("is-near");
    edges.forEach(function (edge) {
      if (edge.classList.contains("is-hidden")) {
        return;
      }
      var source = edge.getAttribute("data-source");
      var target = edge.getAttribute("data-target");
      if (source === id || target === id) {
        edge.classList.add("is-near");
        var other = byId[source === id ? target : source];
        if (other) {
          other.classList.add("is-near");
        }
      }
    });
  }

  function unhighlight() {
    svg.classList.remove("is-highlighting");
    Array.prototype.forEach.call(svg.querySelectorAll(".is-near"), function (element) {
      element.classList.remove("is-near");
    });
  }

  nodes.forEach(function (node) {
    node.addEventListener("mouseenter", function () { unhighlight(); highlight(node); });
    node.addEventListener("mouseleave", unhighlight);
    node.addEventListener("focus", function () { unhighlight(); highlight(node); });
    node.addEventListener("blur", unhighlight);
  });
})();
