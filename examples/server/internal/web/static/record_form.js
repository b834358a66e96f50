// The record form without round trips where a script can help: choosing a
// template or a 分類1 presses the button that re-renders the form (which
// the form also offers without script). Nothing here is needed for any flow.
"use strict";
document.addEventListener("change", function (ev) {
  var sel = ev.target;
  if (!(sel instanceof HTMLSelectElement) || !sel.dataset.refresh || !sel.form) {
    return;
  }
  var button = sel.form.querySelector('button[name="op"][value="' + sel.dataset.refresh + '"]');
  if (button) {
    button.click();
  }
});
