// GOV.UK Frontend's start: before the page is drawn, say that JavaScript runs (and whether
// GOV.UK Frontend's components are supported), so their styles apply without a flash.
// A file of its own, not inline: the Content-Security-Policy allows no inline script.
document.body.className +=
  " js-enabled" +
  ("noModule" in HTMLScriptElement.prototype ? " govuk-frontend-supported" : "");
