// « Ma fiche »: the « Imprimer » button (shown only when scripts run; Ctrl+P works anyway).
const button = document.querySelector(".fiche-print");
if (button) {
  button.hidden = false;
  button.addEventListener("click", () => window.print());
}
