// Buttons marked data-print open the browser's print dialog (the page works without this).
document.querySelectorAll("[data-print]").forEach(function (button) {
  button.addEventListener("click", function () { window.print(); });
});

// A note shown only for one answer (``${field} = 'value'``, decided on the server) follows the answer at once.
document.querySelectorAll("[data-when-name]").forEach(function (note) {
  var name = note.getAttribute("data-when-name"), value = note.getAttribute("data-when-value");
  document.querySelectorAll('input[name="' + name + '"]').forEach(function (input) {
    input.addEventListener("change", function () {
      var chosen = document.querySelector('input[name="' + name + '"]:checked');
      note.hidden = !(chosen && chosen.value === value);
    });
  });
});

// A form sent back with errors: the page scrolls to the first field marked and puts the cursor there.
(function () {
  var wrong = document.querySelector(".confirm, .has-error");
  if (!wrong) { return; }
  var input = wrong.querySelector("button, input:not([type=hidden]), select, textarea");
  wrong.scrollIntoView({block: "center"});
  if (input) { input.focus({preventScroll: true}); }
}());
