// The counter page: a contact that did not come through the kiosk (a phone call, an email, a visitor served at
// the desk without a ticket), logged in one tap and a few choices, nothing to type (docs/agents.md). After
// counter-dialogs.js, before counter.js.
"use strict";
(function () {
  const { T, $, mine, info, post } = window.contactpointCounter;
  const { openDialog } = window.contactpointCounter.dialogs;
  const form = $("form-contact");
  const orgs = $("contact-orgs");  // absent when the site file lists no organisations
  const chosen = (name) => { const i = form.querySelector('input[name="' + name + '"]:checked'); return i ? i.value : null; };
  function showOrgs() { if (orgs) orgs.hidden = chosen("outcome") !== "referred"; }

  $("btn-contact").addEventListener("click", (e) => {
    e.preventDefault();
    if ($("btn-contact").disabled) return;
    form.reset();
    const me = mine();  // the service chosen first: the first one this counter serves
    const first = me && me.needs ? [...form.querySelectorAll('input[name="need"]')].find((i) => me.needs.includes(i.value)) : null;
    if (first) first.checked = true;
    showOrgs();
    openDialog("dlg-contact", $("btn-contact"));
  });
  form.addEventListener("change", showOrgs);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const body = { channel: chosen("channel"), need: chosen("need"), outcome: chosen("outcome") };
    if (body.outcome === "referred") body.referral = chosen("referral");
    if (await post("contact", body, form.querySelector(".c-dialog-error"))) { $("dlg-contact").close(); info(T.contact_logged); }
  });
})();
