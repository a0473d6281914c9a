// The waiting-room display's announcement queue rule, pure: no DOM, no clock, no network (docs/display.md,
// "The announcement queue"). The page (display.js) shows every call the moment it arrives; this decides which
// call is announced next, which are dropped before they play, and how much of an announcement is said.
//
// An item is one call as the box logged it: { ticket, number, counter, lang, recall, at } (`at`: the event's
// time, seconds). `tickets` maps a ticket id to the ticket as the display last saw it ({ state, counter }): the
// snapshot's tickets, updated by every event's tickets. A call is still wanted only while its ticket is
// "called" at that counter and no later call or recall of that ticket is waiting (then only the latest plays).
"use strict";
(function (root, factory) {
  const api = factory();
  if (typeof module === "object" && module.exports) module.exports = api;
  else root.AnnounceQueue = api;
})(typeof self !== "undefined" ? self : this, function () {
  // how much is said, by how many other calls wait behind the one playing (see docs/display.md for the
  // arithmetic of the bound these give: every call starts within 10 s at 10 calls a minute)
  const LEVELS = [
    { behind: 0, chime: true, languages: Infinity, rate: 1 },  // nobody waits: chime, then every language
    { behind: 1, chime: true, languages: 1, rate: 1.25 },      // one waits: chime, the visitor's language, brisker
    { behind: 2, chime: false, languages: 1, rate: 1.5 },      // a backlog: the visitor's language only, quick
  ];

  const keyOf = (c) => c.ticket + "@" + c.counter + "@" + c.at + "@" + (c.recall ? 1 : 0);

  // still called at that counter (a ticket the display has never seen is not: every call event carries it)
  function stillCalled(item, tickets) {
    const t = tickets[item.ticket];
    return !!t && t.state === "called" && t.counter === item.counter;
  }

  // a later call or recall of the same ticket is in the queue (or is the one playing): only the latest plays
  function superseded(item, queue) {
    return queue.some((o) => o !== item && o.ticket === item.ticket && (o.at > item.at ||
      (o.at === item.at && !!o.recall && !item.recall)));
  }

  function wanted(item, tickets, queue) {
    return stillCalled(item, tickets) && !superseded(item, queue);
  }

  // the queue with `item` added once, in call order (a call already there, or already played, is not added)
  function enqueue(queue, item, played) {
    const key = keyOf(item);
    if ((played && played.has(key)) || queue.some((c) => keyOf(c) === key)) return queue.slice();
    const out = queue.concat([item]);
    out.sort((a, b) => a.at - b.at);  // stable: calls of the same second keep their arrival order
    return out;
  }

  // what is said of an announcement while `behind` other calls wait
  function level(behind) {
    let out = LEVELS[0];
    for (const l of LEVELS) if (behind >= l.behind) out = l;
    return out;
  }

  // what is said of the next announcement: its level, and the chime only to break a silence (`chained`: the
  // previous announcement has just ended, the room is listening already)
  function plan(behind, chained) {
    const l = level(behind);
    return { ...l, chime: l.chime && !chained };
  }

  // the next announcement to play: drops (in order) every queued call no longer wanted, then takes the first.
  // `playing` (optional) is the call being announced now, for the superseded rule. Returns
  // { next: item | null, dropped: [items], rest: [items still queued], plan: plan(rest.length, chained) }.
  function take(queue, tickets, playing, chained) {
    const all = playing ? queue.concat([playing]) : queue;
    const dropped = [];
    const kept = [];
    for (const c of queue) (wanted(c, tickets, all) ? kept : dropped).push(c);
    const next = kept.length ? kept[0] : null;
    const rest = kept.slice(1);
    return { next, dropped, rest, plan: plan(rest.length, !!chained) };
  }

  // how many queued calls the rule would still announce, behind the one playing
  function backlog(queue, tickets, playing) {
    const all = playing ? queue.concat([playing]) : queue;
    return queue.filter((c) => wanted(c, tickets, all)).length;
  }

  // the sounds of one announcement, in play order, from the box's playlist ([chime, visitor's language, the
  // site's others...]) and a plan: the chime only if the plan says so, then at most plan.languages phrases
  function sounds(urls, chimeUrl, plan) {
    const spoken = urls.filter((u) => u !== chimeUrl).slice(0, plan.languages);
    return (plan.chime ? [chimeUrl] : []).concat(spoken);
  }

  // before each file of an announcement: play it? (its ticket must still be called, nothing later of it queued,
  // and a phrase beyond the visitor's language only while the queue is short)
  function goOn(item, index, tickets, queue) {
    if (!wanted(item, tickets, queue.concat([item]))) return false;
    return index < level(backlog(queue, tickets, item)).languages;
  }

  return { LEVELS, keyOf, stillCalled, superseded, wanted, enqueue, level, plan, take, backlog, sounds, goOn };
});
