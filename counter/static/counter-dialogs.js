// The counter page, 2/3 (after counter-view.js, before counter.js): the dialogs (call out of order, reprint, cancel,
// pause, close a colleague's counter, transfer, finish "referred"). Native <dialog>: Esc cancels, focus goes back.
"use strict";
(function () {
  const { cfg, T, $, fill, counterLabel, orgById, msg, stateName, needName, S, serverNow, mine, fmtWait, ticketTags,
    render, showError, info, request, post } = window.contactpointCounter;

  // -- dialogs ----------------------------------------------------------------------------------------------
  function openDialog(id, from) {
    const d = $(id);
    d.opener = from || document.activeElement;
    d.querySelectorAll(".c-dialog-error").forEach((e) => { e.hidden = true; });
    d.querySelectorAll(".dlg-number").forEach((e) => {
      const me = mine(); const cur = S.dialogTicket || (me && me.ticket ? S.tickets[me.ticket] : null);
      e.textContent = cur ? cur.number : "";
    });
    d.showModal();
    const first = d.querySelector("input:checked, input:not([type=radio]):not([hidden]), select:not([hidden]), button:not(:disabled)");
    if (first) first.focus();
  }
  document.querySelectorAll("dialog").forEach((d) => {
    d.addEventListener("close", () => {
      if (d.id === "dlg-ticket") S.dialogTicket = null;
      const back = d.opener;
      d.opener = null;
      if (back && document.contains(back) && !document.querySelector("dialog[open]")) back.focus();
      render();
    });
    d.querySelectorAll(".c-close").forEach((b) => b.addEventListener("click", () => d.close()));
  });
  const dialogError = (d) => $(d).querySelector(".c-dialog-error");

  function openTicket(id, from) {
    const t = S.tickets[id];
    if (!t) return;
    S.dialogTicket = t;
    $("dlg-ticket-number").textContent = t.number;
    $("dlg-ticket-info").textContent = [needName(t.need), T.language + " " + t.lang.toUpperCase(), stateName(t.state),
      fill(T.waited, { wait: fmtWait(serverNow() - t.issued_at) }), ...ticketTags(t).filter((x) => !x.startsWith("✎"))].join(" · ");
    $("dlg-ticket-note").hidden = !t.note;
    $("dlg-ticket-note").textContent = t.note || "";
    $("call-reason").value = "";
    render();
    openDialog("dlg-ticket", from);
    $("call-reason").focus();
  }

  $("form-call").addEventListener("submit", async (e) => {
    e.preventDefault();
    if (!S.dialogTicket) return;
    const reason = $("call-reason").value.trim();
    if (!reason) { showError(T.reason_required, dialogError("dlg-ticket")); $("call-reason").focus(); return; }
    if (await post("call", { ticket: S.dialogTicket.id, reason }, dialogError("dlg-ticket"))) $("dlg-ticket").close();
  });
  $("btn-reprint").addEventListener("click", async () => {
    if (!S.dialogTicket || $("btn-reprint").disabled) return;
    $("btn-reprint").disabled = true;  // a double click prints one ticket, not two
    const res = await request(cfg.urls.reprint, { ticket: S.dialogTicket.id });
    $("btn-reprint").disabled = false;
    if (res.ok) { $("dlg-ticket").close(); info(T.reprint_sent); } else showError(res.error, dialogError("dlg-ticket"));
  });
  let cancelTarget = null;
  $("btn-cancel-ticket").addEventListener("click", () => {
    const target = S.dialogTicket ? S.dialogTicket.id : null;
    const back = $("dlg-ticket").opener;
    $("dlg-ticket").close();
    openCancel(back, target);
  });
  // the cancel dialog acts on `target` (a ticket id): the dialog's ticket, or the visit at my counter
  function openCancel(from, target) {
    cancelTarget = target;
    const f = $("form-cancel");
    f.reset();
    openDialog("dlg-cancel", from);
  }
  function chosenReason(form, textId) {
    const preset = form.querySelector('input[name="preset"]:checked');
    const text = $(textId).value.trim();
    return preset && preset.value ? preset.value : text;
  }
  $("form-cancel").addEventListener("submit", async (e) => {
    e.preventDefault();
    const reason = chosenReason(e.target, "cancel-reason");
    if (!reason) { showError(T.reason_required, dialogError("dlg-cancel")); return; }
    if (!cancelTarget) return;
    if (await post("cancel", { ticket: cancelTarget, reason }, dialogError("dlg-cancel"))) $("dlg-cancel").close();
  });
  // typing an "other" reason selects "Other"
  [["cancel-reason", "form-cancel"], ["pause-reason", "form-pause"]].forEach(([inp, form]) => {
    $(inp).addEventListener("input", () => {
      const other = $(form).querySelector('input[name="preset"][value=""]');
      if (other) other.checked = true;
    });
  });

  $("form-pause").addEventListener("submit", async (e) => {
    e.preventDefault();
    const reason = chosenReason(e.target, "pause-reason");
    if (!reason) { showError(T.reason_required, dialogError("dlg-pause")); return; }
    if (await post("pause", { reason }, dialogError("dlg-pause"))) $("dlg-pause").close();
  });

  // closing a colleague's counter: a confirmation with a reason, logged; their visitor goes back to the queue
  let closeTarget = null; // {counter, agent}
  function openCloseOther(id, from) {
    const s = S.counters[id];
    if (!s || !s.open) return;
    closeTarget = { counter: id, agent: s.agent };
    $("form-close-other").reset();
    const t = s.ticket ? S.tickets[s.ticket] : null;
    $("close-other-what").textContent = fill(T.close_other_what, { counter: counterLabel[id] || id, agent: s.agent || "" });
    $("close-other-visitor").hidden = !t;
    $("close-other-visitor").textContent = t ? fill(T.close_other_visitor, { number: t.number }) : "";
    openDialog("dlg-close-other", from);
  }
  $("form-close-other").addEventListener("submit", async (e) => {
    e.preventDefault();
    const reason = chosenReason(e.target, "close-other-reason");
    if (!reason) { showError(T.reason_required, dialogError("dlg-close-other")); return; }
    if (!closeTarget) return;
    if (await post("close-other", { ...closeTarget, reason }, dialogError("dlg-close-other"))) $("dlg-close-other").close();
  });
  $("close-other-reason").addEventListener("input", () => {
    const other = $("form-close-other").querySelector('input[name="preset"][value=""]');
    if (other) other.checked = true;
  });

  // transfer: to another need, a counter, or an agent at a counter now
  function fillTransfer() {
    const me = mine();
    const cur = me && me.ticket ? S.tickets[me.ticket] : null;
    const opt = (value, text) => { const o = document.createElement("option"); o.value = value; o.textContent = text; return o; };
    $("transfer-need").replaceChildren(...cfg.needs.filter((n) => !cur || n.id !== cur.need).map((n) => opt(n.id, n.prefix + " · " + n.name)));
    // a closed counter is listed but cannot be chosen: nobody would call the visitor there
    const targets = cfg.counters.filter((c) => !me || c.id !== me.id).map((c) => {
      const s = S.counters[c.id];
      const o = opt(c.id, c.label + (s && s.open ? " · " + s.agent : " · " + T.closed));
      o.disabled = !(s && s.open);
      return o;
    });
    targets.sort((a, b) => a.disabled - b.disabled);  // the open ones first: the first is chosen
    $("transfer-counter").replaceChildren(...targets);
    $("transfer-counter").value = targets.length && !targets[0].disabled ? targets[0].value : "";
    $("form-transfer").querySelector('input[value="to_counter"]').disabled = !targets.some((o) => !o.disabled);
    const agents = Object.values(S.counters).filter((c) => c.open && c.agent && c.agent !== cfg.agent);
    $("transfer-agent").replaceChildren(...agents.map((c) => opt(c.agent, c.agent + " · " + (counterLabel[c.id] || c.id))));
    const none = $("form-transfer").querySelector('input[value="to_agent"]');
    none.disabled = agents.length === 0;
    $("transfer-note").value = "";
    showKind("need");
    $("form-transfer").querySelector('input[value="need"]').checked = true;
  }
  function showKind(kind) {
    $("form-transfer").querySelectorAll("[data-kind]").forEach((el) => { el.hidden = el.dataset.kind !== kind; });
  }
  $("form-transfer").addEventListener("change", (e) => { if (e.target.name === "kind") showKind(e.target.value); });
  $("form-transfer").addEventListener("submit", async (e) => {
    e.preventDefault();
    const kind = e.target.querySelector('input[name="kind"]:checked').value;
    const sel = e.target.querySelector('select[name="' + kind + '"]');
    if (!sel.value) { showError(msg("transfer_target_required"), dialogError("dlg-transfer")); return; }
    const body = { note: $("transfer-note").value.trim() || null };
    body[kind] = sel.value;
    if (await post("transfer", body, dialogError("dlg-transfer"))) $("dlg-transfer").close();
  });

  // finish "referred": which organisation, then offer the referral slip
  let referred = null; // {ticket, number, organisation}
  function fillReferred() {
    const box = $("org-choices");
    box.querySelectorAll("label").forEach((l) => l.remove());
    cfg.organisations.forEach((o, i) => {
      const l = document.createElement("label"); l.className = "c-choice c-org";
      const r = document.createElement("input"); r.type = "radio"; r.name = "organisation"; r.value = o.id;
      if (i === 0) r.checked = true;
      const s = document.createElement("span"); s.textContent = o.kind_name + " — " + o.name;
      l.append(r, s); box.append(l);
    });
    const free = cfg.organisations.length === 0; // no list in the site file: the agent S.names the kind
    $("referral-other").hidden = !free; $("referral-other-label").hidden = !free; $("referral-other").value = "";
    $("referred-step1").hidden = false; $("referred-step2").hidden = true;
    $("btn-referred-go").hidden = false; $("btn-print-slip").hidden = true;
    $("btn-referred-close").textContent = T.back;
    $("slip-result").textContent = "";
    referred = null;
  }
  $("form-referred").addEventListener("submit", async (e) => {
    e.preventDefault();
    if (referred) return;
    const me = mine();
    const cur = me && me.ticket ? S.tickets[me.ticket] : null;
    if (!cur) return;
    const chosen = e.target.querySelector('input[name="organisation"]:checked');
    const org = chosen ? chosen.value : $("referral-other").value.trim();
    if (!org) { showError(msg("referral_required"), dialogError("dlg-referred")); return; }
    const ticket = cur.id, number = cur.number;
    if (!(await post("finish", { outcome: "referred", referral: org }, dialogError("dlg-referred")))) return;
    referred = { ticket, number, organisation: org };
    const name = orgById[org] ? orgById[org].name : org;
    $("referred-done").textContent = fill(T.referred_done, { number, organisation: name });
    $("referred-step1").hidden = true; $("referred-step2").hidden = false;
    $("btn-referred-go").hidden = true;
    $("btn-print-slip").hidden = !orgById[org];
    $("btn-referred-close").textContent = T.done;
    ($("btn-print-slip").hidden ? $("btn-referred-close") : $("btn-print-slip")).focus();
  });
  $("btn-print-slip").addEventListener("click", async () => {
    if (!referred) return;
    $("btn-print-slip").disabled = true;
    const res = await request(cfg.urls.slip, { ticket: referred.ticket, organisation: referred.organisation });
    $("btn-print-slip").disabled = false;
    if (res.ok) { $("slip-result").textContent = T.slip_sent; $("btn-referred-close").focus(); }
    else showError(res.error, dialogError("dlg-referred"));
  });

  window.contactpointCounter.dialogs = { openDialog, openTicket, openCancel, openCloseOther, fillTransfer, fillReferred };
})();
