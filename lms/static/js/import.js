// The user import hashes every password (about 0.1 s a user) before it answers: say so
// while the browser waits, and keep the form from being sent twice.
document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("import-form");
  if (!form) return;
  form.addEventListener("submit", () => {
    document.getElementById("import-busy").hidden = false;
    form.querySelector("button[type=submit]").disabled = true;
  });
});
