// Live password strength meter of the portal's registration form. The form
// works without it; the server checks the same estimator on submit.
(function () {
  var pw = document.getElementById("password");
  var meter = document.getElementById("strength");
  var label = document.getElementById("strength-label");
  if (!pw || !meter || !window.fetch) return;
  var timer;
  pw.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () {
      var body = new URLSearchParams({ password: pw.value, email: pw.form.email.value });
      fetch(pw.dataset.strength, { method: "POST", body: body, credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (s) {
          if (!s) return;
          meter.hidden = false;
          meter.value = s.score;
          label.textContent = s.label;
        });
    }, 250);
  });
})();
