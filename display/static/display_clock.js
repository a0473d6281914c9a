// The display's clock and today's opening hours, in the site's time zone (display.js draws the calls).
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  const data = document.getElementById("display").dataset;
  const tz = data.tz || undefined;
  const WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
  // English day first and 24-hour, as in Brussels (en-GB), like the printed tickets (contactpoint.i18n); every
  // language 24-hour (Arabic's own clock is 12-hour, "08:32 ص")
  const timeLang = data.lang === "en" ? "en-GB" : data.lang;
  function clock() {
    const d = new Date();
    let opts = { hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone: tz };
    let day;
    try {
      $("clock").textContent = d.toLocaleTimeString(timeLang, opts);
      day = WEEKDAYS.indexOf(new Intl.DateTimeFormat("en-US", { weekday: "short", timeZone: tz }).format(d));
    } catch (e) {  // an unknown time zone in this browser: the device's own
      opts = { hour: "2-digit", minute: "2-digit", hourCycle: "h23" };
      $("clock").textContent = d.toLocaleTimeString(timeLang, opts);
      day = (d.getDay() + 6) % 7;
    }
    let text;
    const hours = JSON.parse(data.hours || "{}");  // display.js renews it from each snapshot (settings changed)
    if (data.alwaysOpen === "true") text = data.openAllDay;
    else if (hours[String(day)] && hours[String(day)].length) text = data.openToday + " " + hours[String(day)].join(", ");
    else text = data.closedToday;
    $("hours").textContent = text;
  }
  clock(); setInterval(clock, 10000);
  window.displayClock = clock;
})();
