/* The query page (templates/query.html): progressive enhancement of a plain GET form.
 *
 * Without the vendored editor (`policykg vendor` not run) only Ctrl-Enter is added to the text area.
 * With it (CodeMirror 5 from /vendor/, never from a CDN): SPARQL highlighting, bracket matching,
 * completion of the project's prefixes (read from the JSON the page carries), which also adds the
 * missing PREFIX declaration; Ctrl-Enter runs; Tab leaves the editor (no keyboard trap); the
 * position of a syntax error is marked.
 */
(function () {
  "use strict";
  var textarea = document.getElementById("query-text");
  var form = document.getElementById("query-form");
  if (!textarea || !form) return;

  var prefixes = {};
  var data = document.getElementById("sparql-prefixes");
  try { prefixes = JSON.parse(data ? data.textContent : "{}"); } catch (e) { prefixes = {}; }
  var names = Object.keys(prefixes).sort();

  function run() {
    if (form.requestSubmit) form.requestSubmit(); else form.submit();
  }

  var CodeMirror = window.CodeMirror;
  if (typeof CodeMirror !== "function" || !textarea.hasAttribute("data-editor")) {
    textarea.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) { event.preventDefault(); run(); }
    });
    return;
  }

  var PROLOGUE = /^\s*(?:#.*)?$|^\s*(?:PREFIX|BASE)\b/i;
  var DECLARATION = /^\s*PREFIX\s+([A-Za-z][\w.-]*)?:/gim;

  function declared(cm) {
    var found = {}, match;
    var text = cm.getValue();
    DECLARATION.lastIndex = 0;
    while ((match = DECLARATION.exec(text)) !== null) found[match[1] || ""] = true;
    return found;
  }

  /* Add "PREFIX p: <ns>" after the prologue's last PREFIX/BASE line (else after the leading comments). */
  function declare(cm, prefix) {
    if (declared(cm)[prefix] || !prefixes[prefix]) return;
    var at = 0;
    for (var i = 0; i < cm.lineCount(); i++) {
      var line = cm.getLine(i);
      if (!PROLOGUE.test(line)) break;
      if (/^\s*(?:PREFIX|BASE)\b/i.test(line) || /^\s*#/.test(line)) at = i + 1;
    }
    cm.replaceRange("PREFIX " + prefix + ": <" + prefixes[prefix] + ">\n", CodeMirror.Pos(at, 0));
  }

  function prefixHint(cm) {
    var cursor = cm.getCursor();
    var token = cm.getTokenAt(cursor);
    if (token.type && /string|comment/.test(token.type)) return null;
    var line = cm.getLine(cursor.line);
    var start = cursor.ch;
    while (start > 0 && /[\w.-]/.test(line.charAt(start - 1))) start--;
    var word = line.slice(start, cursor.ch);
    var before = line.charAt(start - 1);
    if (before === "?" || before === "$" || before === ":" || before === "<" || before === "@" || before === "_") return null;
    var inDeclaration = /\bPREFIX\s+$/i.test(line.slice(0, start));
    var list = names.filter(function (name) { return name.indexOf(word) === 0 && name !== word + ":"; })
      .map(function (name) {
        return {
          text: inDeclaration ? name + ": <" + prefixes[name] + ">" : name + ":",
          displayText: name + ":  " + prefixes[name],
          hint: function (cm, self, completion) {
            cm.replaceRange(completion.text, self.from, self.to, "complete");
            if (!inDeclaration) declare(cm, name);
          }
        };
      });
    if (!list.length) return null;
    return { list: list, from: CodeMirror.Pos(cursor.line, start), to: CodeMirror.Pos(cursor.line, cursor.ch) };
  }

  function complete(cm) { cm.showHint({ hint: prefixHint, completeSingle: false }); }

  var label = document.getElementById("query-label");
  var cm = CodeMirror.fromTextArea(textarea, {
    mode: "application/sparql-query",
    lineNumbers: true,
    matchBrackets: true,
    indentUnit: 2,
    viewportMargin: Infinity,
    inputStyle: "contenteditable",
    screenReaderLabel: label ? label.textContent : "SPARQL",
    extraKeys: {
      "Ctrl-Space": complete,
      "Ctrl-Enter": function (cm) { cm.save(); run(); },
      "Cmd-Enter": function (cm) { cm.save(); run(); },
      "Tab": false,        /* the browser's: focus moves on */
      "Shift-Tab": false
    }
  });
  var input = cm.getInputField();
  input.setAttribute("aria-describedby", "query-help");
  if (label) {
    label.addEventListener("click", function () { cm.focus(); });
  }

  /* Offer the prefixes as a word is typed (not in strings, comments, variables or IRIs). */
  cm.on("inputRead", function (cm, change) {
    if (cm.state.completionActive || change.origin !== "+input") return;
    if (/^[a-z]$/.test(change.text[change.text.length - 1].slice(-1))) complete(cm);
  });
  form.addEventListener("submit", function () { cm.save(); });

  /* A syntax error: mark its line and put the cursor there. */
  var position = document.querySelector(".query-error .position[data-line]");
  if (position) {
    var lineNumber = parseInt(position.getAttribute("data-line"), 10) - 1;
    var column = parseInt(position.getAttribute("data-column"), 10) - 1;
    if (lineNumber >= 0 && lineNumber < cm.lineCount()) {
      cm.addLineClass(lineNumber, "background", "query-error-line");
      cm.setCursor(CodeMirror.Pos(lineNumber, Math.max(0, column)));
    }
  }
})();
