// GOV.UK Frontend's components (menus, notification banners, buttons...), started on every page.
import { initAll } from "../govuk/govuk-frontend.min.js";

initAll();
