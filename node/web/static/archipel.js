// Progressive enhancement: the directory search updates its results while typing.
// Without JavaScript the form submits normally and the server renders the same results.
(function () {
  "use strict";
  // Read-only feed addresses: select the whole address on focus, ready to copy.
  document.querySelectorAll(".feed-url").forEach(function (input) {
    input.addEventListener("focus", function () { input.select(); });
  });
  var form = document.querySelector("form[data-live-results]");
  if (!form || !window.fetch) { return; }
  var target = document.getElementById(form.getAttribute("data-live-results"));
  var timer = null;
  var counter = 0;
  function refresh() {
    var params = new URLSearchParams(new FormData(form));
    var mine = ++counter;
    fetch(form.getAttribute("data-partial") + "?" + params.toString(), {
      headers: { "Accept": "text/html" }, credentials: "same-origin"
    }).then(function (response) {
      return response.ok ? response.text() : null;
    }).then(function (html) {
      if (html === null || mine !== counter) { return; }
      target.innerHTML = html;
      history.replaceState(null, "", form.getAttribute("action") + "?" + params.toString());
    }).catch(function () { /* the submit button still works */ });
  }
  form.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(refresh, 200);
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    clearTimeout(timer);
    refresh();
  });
}());
