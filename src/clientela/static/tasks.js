// The task form's deadline: the Today / in 3 days / in a week buttons and the calendar fill the
// date box in the language's format (data-date-format, e.g. %d/%m/%Y), which people may also
// type by hand.
(() => {
  function pad(n) { return String(n).padStart(2, "0"); }

  function formatDate(date, format) {
    return format
      .replace("%d", pad(date.getDate()))
      .replace("%m", pad(date.getMonth() + 1))
      .replace("%Y", String(date.getFullYear()))
      .replace("%y", pad(date.getFullYear() % 100));
  }

  function dateBox(element) {
    return element.closest(".deadline-field")?.querySelector("input.deadline-date");
  }

  function fill(box, date) {
    box.value = formatDate(date, box.dataset.dateFormat || "%Y-%m-%d");
    box.dispatchEvent(new Event("change", { bubbles: true }));
  }

  document.addEventListener("click", (event) => {
    const shortcut = event.target.closest("[data-deadline-days]");
    if (shortcut) {
      const box = dateBox(shortcut);
      if (!box) return;
      const date = new Date();
      date.setDate(date.getDate() + Number(shortcut.dataset.deadlineDays));
      fill(box, date);
      return;
    }
    const pickerButton = event.target.closest("[data-deadline-picker]");
    if (pickerButton) {
      const picker = pickerButton.parentElement.querySelector("input.deadline-picker");
      if (!picker) return;
      if (typeof picker.showPicker === "function") {
        try { picker.showPicker(); return; } catch (error) { /* fall through */ }
      }
      picker.classList.remove("visually-hidden");
      picker.focus();
    }
  });

  document.addEventListener("change", (event) => {
    const picker = event.target.closest("input.deadline-picker");
    if (!picker || !picker.value) return;
    const [year, month, day] = picker.value.split("-").map(Number);
    const box = dateBox(picker);
    if (box) fill(box, new Date(year, month - 1, day));
  });
})();
