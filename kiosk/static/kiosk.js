// the ticket screen goes back to the start after a while, so the next visitor finds the first screen
"use strict";
(function () {
  const ticket = document.querySelector(".k-ticket");
  if (ticket) setTimeout(() => { location.href = ticket.dataset.returnUrl; }, 60000);
})();
