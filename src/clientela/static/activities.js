// The comment box's @mentions: typing "@" and a few letters lists the users who can see the
// record; picking one writes the mention token @[Full Name](user:ID) that the server reads.
(function () {
  if (window.clientelaMentions) return;
  window.clientelaMentions = true;

  function mentionQuery(textarea) {
    var before = textarea.value.slice(0, textarea.selectionStart);
    var match = /(^|\s)@([^\s@\[\]()]{0,30})$/.exec(before);
    return match ? { query: match[2], start: before.length - match[2].length - 1 } : null;
  }

  function optionsOf(textarea) {
    return textarea.parentElement.querySelector(".mention-options");
  }

  var timer = null;
  document.addEventListener("input", function (event) {
    var textarea = event.target;
    if (!textarea.matches || !textarea.matches("textarea[data-mention-url]")) return;
    var options = optionsOf(textarea);
    var found = mentionQuery(textarea);
    clearTimeout(timer);
    if (!found) { options.innerHTML = ""; return; }
    timer = setTimeout(function () {
      var url = textarea.dataset.mentionUrl + "?q=" + encodeURIComponent(found.query);
      fetch(url, { credentials: "same-origin", headers: { "HX-Request": "true" } })
        .then(function (response) { return response.ok ? response.text() : ""; })
        .then(function (html) { options.innerHTML = html; });
    }, 150);
  });

  document.addEventListener("click", function (event) {
    var option = event.target.closest && event.target.closest(".mention-option");
    if (!option) return;
    var options = option.closest(".mention-options");
    var textarea = options.parentElement.querySelector("textarea[data-mention-url]");
    var found = mentionQuery(textarea);
    var caret = textarea.selectionStart;
    var start = found ? found.start : caret;
    var token = option.dataset.mention + " ";
    textarea.value = textarea.value.slice(0, start) + token + textarea.value.slice(caret);
    textarea.focus();
    textarea.selectionStart = textarea.selectionEnd = start + token.length;
    options.innerHTML = "";
  });
})();
