// Small behaviours shared by every page; htmx does the rest.
document.addEventListener("click", (event) => {
  const trigger = event.target.closest("[data-confirm]");
  if (trigger && !window.confirm(trigger.dataset.confirm)) {
    event.preventDefault();
    event.stopImmediatePropagation();
  }
}, true);

// Contact list: "select all on this page" and the bulk toolbar, which acts only on a selection.
function updateBulkToolbar(form) {
  if (!form) return;
  const boxes = form.querySelectorAll(".row-select");
  const chosen = form.querySelectorAll(".row-select:checked").length;
  form.querySelectorAll(".bulk-needs-selection").forEach((button) => { button.disabled = chosen === 0; });
  const all = form.querySelector("#select-all");
  if (all) {
    all.checked = chosen > 0 && chosen === boxes.length;
    all.indeterminate = chosen > 0 && chosen < boxes.length;
  }
  const counter = form.querySelector("#bulk-count");
  if (counter) {
    const template = chosen === 0 ? counter.dataset.none : chosen === 1 ? counter.dataset.one : counter.dataset.many;
    counter.textContent = template.replace("__n__", chosen);
  }
}

// A list's sort links change the filter form's sort and submit the form, so that the request
// carries what the filters hold now (a search typed an instant before included), not what
// they held when the links were drawn. Without JavaScript the link itself does it.
document.addEventListener("click", (event) => {
  const link = event.target.closest("a[data-sort]");
  if (!link || event.ctrlKey || event.metaKey || event.shiftKey) return;
  const field = document.getElementById("filter-ordering");
  if (!field || !field.form || !window.htmx) return;
  event.preventDefault();
  event.stopPropagation();
  field.value = link.dataset.sort;
  htmx.trigger(field.form, "submit");
}, true);

document.addEventListener("change", (event) => {
  const form = event.target.closest(".bulk-form");
  if (!form) return;
  if (event.target.id === "select-all") {
    form.querySelectorAll(".row-select").forEach((box) => { box.checked = event.target.checked; });
  }
  updateBulkToolbar(form);
});

// Browsers keep checkboxes ticked on "back": keep the toolbar in step with them.
window.addEventListener("pageshow", () => updateBulkToolbar(document.querySelector(".bulk-form")));
document.addEventListener("htmx:afterSettle", () => updateBulkToolbar(document.querySelector(".bulk-form")));

// Row formsets (emails, phones, websites, addresses): add a blank row, remove a row.
document.addEventListener("click", (event) => {
  const add = event.target.closest("[data-formset-add]");
  if (add) {
    const formset = add.closest("[data-formset]");
    const prefix = formset.dataset.formset;
    const total = formset.querySelector(`input[name="${prefix}-TOTAL_FORMS"]`);
    const html = formset.querySelector("template[data-formset-template]").innerHTML
      .replaceAll("__prefix__", total.value);
    formset.querySelector("[data-formset-rows]").insertAdjacentHTML("beforeend", html);
    total.value = Number(total.value) + 1;
    const rows = formset.querySelectorAll("[data-formset-row]");
    rows[rows.length - 1].querySelector("input:not([type=hidden]):not([type=checkbox])")?.focus();
    return;
  }
  const remove = event.target.closest("[data-formset-remove]");
  if (remove) {
    const row = remove.closest("[data-formset-row]");
    const deleteBox = row.querySelector('input[name$="-DELETE"]');
    if (deleteBox) deleteBox.checked = true;
    row.hidden = true;
  }
});

// The main menu on narrow screens: the top bar's button opens it, a click outside closes it.
document.addEventListener("click", (event) => {
  const shell = document.querySelector(".app-shell");
  const toggle = document.getElementById("menu-toggle");
  if (!shell || !toggle) return;
  if (event.target.closest("#menu-toggle")) {
    const open = shell.classList.toggle("menu-open");
    toggle.setAttribute("aria-expanded", String(open));
  } else if (shell.classList.contains("menu-open") && !event.target.closest("#app-sidebar")) {
    shell.classList.remove("menu-open");
    toggle.setAttribute("aria-expanded", "false");
  }
});

// Type-to-search pickers (templates/includes/record_picker.html). The search box has no name,
// so that the form never posts it: its text goes as `q`, with the record chosen so far as
// `selected`, which the new options keep. Enter in the box moves to the list instead of
// submitting the form.
document.addEventListener("htmx:configRequest", (event) => {
  const search = event.detail.elt;
  if (!search.matches || !search.matches("[data-record-picker-search]")) return;
  const select = search.closest("[data-record-picker]").querySelector("select");
  event.detail.parameters.q = search.value;
  event.detail.parameters.selected = select.value;
});

document.addEventListener("keydown", (event) => {
  if (event.key !== "Enter" || !event.target.matches("[data-record-picker-search]")) return;
  event.preventDefault();
  const select = event.target.closest("[data-record-picker]").querySelector("select");
  select.focus();
  try {
    select.showPicker();
  } catch {
    // Browsers without showPicker() on selects: the focused list opens with the arrow keys.
  }
});

// Links that act on a list as it is now (data-current-query, e.g. "Export CSV"): htmx changes
// the filters and the order without reloading the page, and pushes them into the address bar.
document.addEventListener("click", (event) => {
  const link = event.target.closest("a[data-current-query]");
  if (link) link.search = window.location.search;
}, true);
