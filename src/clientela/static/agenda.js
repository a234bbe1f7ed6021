// The calendar page (FullCalendar fed by /api/v1/calendar) and the event form.
(() => {
  "use strict";

  // --- the event form: the time fields only matter for an event that is not all day ----------
  function syncAllDay() {
    const box = document.getElementById("id_all_day");
    if (!box) return;
    document.querySelectorAll("#event-form .event-time").forEach((cell) => {
      cell.hidden = box.checked;
    });
  }
  document.addEventListener("change", (event) => {
    if (event.target.id === "id_all_day") syncAllDay();
  });
  document.addEventListener("DOMContentLoaded", syncAllDay);

  // --- the calendar ----------------------------------------------------------------------------
  function showMessage(text, kind) {
    const slot = document.getElementById("calendar-message");
    if (!slot) return;
    const alert = document.createElement("div");
    alert.className = `alert alert-${kind} alert-dismissible fade show py-2`;
    alert.setAttribute("role", "alert");
    alert.textContent = text;
    const close = document.createElement("button");
    close.type = "button";
    close.className = "btn-close";
    close.dataset.bsDismiss = "alert";
    alert.appendChild(close);
    slot.replaceChildren(alert);
  }

  // FullCalendar runs in the organisation's named time zone without a time-zone plugin, so its
  // dates are wall-clock times in that zone; strip any offset it adds when writing them out.
  function wallClock(text) {
    return text ? text.replace(/(Z|[+-]\d\d:\d\d)$/, "") : text;
  }

  function entryFromEvent(item) {
    return {
      id: String(item.id),
      title: item.title,
      start: item.start,
      end: item.end,
      allDay: item.all_day,
      url: item.url,
      editable: item.editable,
      classNames: ["agenda-event", `agenda-kind-${item.kind}`],
      extendedProps: { version: item.version, kind: "event", location: item.location },
    };
  }

  function entryFromDeadline(item, label) {
    return {
      id: `task-${item.id}`,
      title: `${label}: ${item.title}`,
      start: item.due,
      allDay: item.all_day,
      url: item.url || undefined,
      editable: false,
      display: "list-item",
      classNames: ["agenda-deadline"],
      color: "#b02a37",
      extendedProps: { kind: "deadline" },
    };
  }

  function startCalendar() {
    const element = document.getElementById("calendar");
    const configNode = document.getElementById("calendar-config");
    if (!element || !configNode || !window.FullCalendar) return;
    const config = JSON.parse(configNode.textContent);
    const csrf = document.querySelector('meta[name="csrf-token"]').content;

    async function move(info) {
      const item = info.event;
      const body = {
        starts_at: item.allDay ? `${item.startStr.slice(0, 10)}T00:00:00` : wallClock(item.startStr),
        ends_at: item.end ? (item.allDay ? `${item.endStr.slice(0, 10)}T00:00:00` : wallClock(item.endStr)) : null,
        all_day: item.allDay,
      };
      let response;
      try {
        response = await fetch(config.moveUrl.replace("/0/", `/${item.id}/`), {
          method: "POST",
          credentials: "same-origin",
          headers: {
            "Content-Type": "application/json",
            "X-CSRFToken": csrf,
            "If-Match": `"${item.extendedProps.version}"`,
          },
          body: JSON.stringify(body),
        });
      } catch (error) {
        info.revert();
        showMessage(config.texts.refused, "danger");
        return;
      }
      const data = await response.json().catch(() => ({}));
      if (!response.ok) {
        info.revert();
        const reasons = data.errors ? Object.values(data.errors).flat().join(" ") : "";
        showMessage(`${config.texts.refused} ${data.detail || ""} ${reasons}`.trim(), "danger");
        if (response.status === 412 || response.status === 409) calendar.refetchEvents();
        return;
      }
      item.setExtendedProp("version", data.version);
      showMessage(config.texts.moved, "success");
    }

    const calendar = new window.FullCalendar.Calendar(element, {
      initialView: config.initialView,
      initialDate: config.initialDate || undefined,
      locale: config.locale,
      firstDay: config.firstDay,
      timeZone: config.timeZone,
      height: "auto",
      nowIndicator: true,
      editable: true,
      dayMaxEvents: 4,
      slotMinTime: "07:00:00",
      slotMaxTime: "22:00:00",
      scrollTime: "08:00:00",
      eventTimeFormat: { hour: "2-digit", minute: "2-digit", hour12: false },
      slotLabelFormat: { hour: "2-digit", minute: "2-digit", hour12: false },
      headerToolbar: { left: "prev,next today", center: "title", right: "dayGridMonth,timeGridWeek,timeGridDay" },
      events(info, success, failure) {
        const params = new URLSearchParams({ start: wallClock(info.startStr), end: wallClock(info.endStr) });
        fetch(`${config.dataUrl}?${params}`, { credentials: "same-origin", headers: { Accept: "application/json" } })
          .then((response) => {
            if (!response.ok) throw new Error(String(response.status));
            return response.json();
          })
          .then((data) => success([
            ...data.events.map(entryFromEvent),
            ...data.deadlines.map((item) => entryFromDeadline(item, config.texts.deadline)),
          ]))
          .catch((error) => {
            showMessage(config.texts.loadFailed, "danger");
            failure(error);
          });
      },
      dateClick(info) {
        const view = config.views[info.view.type] || "month";
        const day = info.dateStr.slice(0, 10);
        const back = `${config.calendarUrl}?view=${view}&date=${day}`;
        const params = new URLSearchParams({ start: wallClock(info.dateStr), next: back });
        if (info.allDay) params.set("all_day", "1");
        window.location.assign(`${config.createUrl}?${params}`);
      },
      eventDrop: move,
      eventResize: move,
      datesSet(info) {
        // Keep the address in step with the view so that reloading or going back returns here.
        const view = config.views[info.view.type] || "month";
        const day = info.view.currentStart.toISOString().slice(0, 10);
        window.history.replaceState(null, "", `${config.calendarUrl}?view=${view}&date=${day}`);
      },
    });
    calendar.render();
    element.calendar = calendar;
  }

  document.addEventListener("DOMContentLoaded", startCalendar);
})();
