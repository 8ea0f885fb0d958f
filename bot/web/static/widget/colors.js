// Theme colours from the data attributes, adjusted so that text keeps a WCAG AA contrast.
// Defaults are the DSFR tokens: blue France (#000091), grey 975 (#f6f6f6), grey 50 (#161616).
const DEFAULTS = Object.freeze({ primary: "#000091", surface: "#f6f6f6" });
const DARK = "#161616";
const LIGHT = "#ffffff";
const HEX = /^#(?:[0-9a-f]{3}|[0-9a-f]{6})$/i;

function rgb(hex) {
  const digits = hex.length === 4 ? [...hex.slice(1)].map((d) => d + d).join("") : hex.slice(1);
  return [0, 2, 4].map((i) => Number.parseInt(digits.slice(i, i + 2), 16));
}

function luminance(hex) {
  const [r, g, b] = rgb(hex).map((channel) => {
    const c = channel / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

export function contrast(a, b) {
  const [light, dark] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (light + 0.05) / (dark + 0.05);
}

const readableOn = (background) =>
  contrast(background, LIGHT) >= contrast(background, DARK) ? LIGHT : DARK;

const valid = (value, fallback) => (HEX.test(value || "") ? value.toLowerCase() : fallback);

/** CSS custom properties for the shadow host (set through the CSSOM: allowed by a strict CSP). */
export function themeProperties(config) {
  const primary = valid(config.primaryColor, DEFAULTS.primary);
  const surface = valid(config.surfaceColor, DEFAULTS.surface);
  const surfaceText = readableOn(surface);
  return {
    "--qp-primary": primary,
    "--qp-on-primary": readableOn(primary),
    // the primary colour as text or border on white, only where it stays readable
    "--qp-primary-text": contrast(primary, LIGHT) >= 4.5 ? primary : DARK,
    "--qp-surface": surface,
    "--qp-on-surface": surfaceText,
    "--qp-link-on-surface": contrast(primary, surface) >= 4.5 ? primary : surfaceText,
  };
}
