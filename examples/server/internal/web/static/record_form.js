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

// Inline customer search: typing in a customer box (its data-choices names
// the candidates' URL) replaces the candidate radios with the matches, the
// chosen customer kept first. Without the script 顧客を検索 shows the same
// candidates with a round trip.
var choicesTimer = 0;
document.addEventListener("input", function (ev) {
  var box = ev.target;
  if (!(box instanceof HTMLInputElement) || !box.dataset.choices || !box.form) {
    return;
  }
  clearTimeout(choicesTimer);
  choicesTimer = setTimeout(function () {
    showChoices(box);
  }, 250);
});

function showChoices(box) {
  var fieldset = box.closest("fieldset");
  var list = fieldset && fieldset.querySelector(".choices");
  var q = box.value.trim();
  if (!list || q === "") {
    return;
  }
  var params = new URLSearchParams({ customer_q: q });
  var chosen = box.form.querySelector('input[name="customer_id"]:checked');
  if (chosen && chosen.value !== "none") {
    params.set("customer_id", chosen.value);
  }
  fetch(box.dataset.choices + "?" + params.toString(), { credentials: "same-origin" })
    .then(function (res) {
      return res.ok ? res.text() : Promise.reject(res.status);
    })
    .then(function (html) {
      if (box.value.trim() !== q) {
        return; // typed on since: a later answer follows
      }
      list.querySelectorAll(".cand").forEach(function (el) {
        el.remove();
      });
      var fragment = document.createElement("template");
      fragment.innerHTML = html;
      list.prepend(fragment.content);
    })
    .catch(function () {
      // Nothing shown: 顧客を検索 still works.
    });
}
