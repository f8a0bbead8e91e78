// Live events page: GET /events?limit=50 every 2 s, newest first, new ones coming in at the top.
// Crops are fetched with the key and shown from blob: URLs. An unknown person's event can be
// enrolled from its crop ("Enrol as…"); the API's refusal is shown on the event.
"use strict";

const EVENT_REFRESH_MS = 2000;
const eventCards = new Map(); // event_id -> its <li>
const eventCrops = new Map(); // event_id -> { url, version } of the crop shown
const enrolledEvents = new Map(); // event_id -> what enrolling it from this page did
const eventCameras = new Set();
let stopEvents = null;
let eventQuery = 0; // the latest request: an answer to an older one (other filters) is dropped

PAGES.events = {
  start() {
    stopEvents = poll(refreshEvents, EVENT_REFRESH_MS);
    api("GET", "/cameras").then((cameras) => addCameraOptions(cameras.map((c) => c.name))).catch(() => null);
  },
  stop() { stopEvents(); },
};

async function refreshEvents() {
  const query = new URLSearchParams({ limit: "50" });
  if ($("event-camera").value) query.set("camera", $("event-camera").value);
  if ($("event-unknown").checked) query.set("unknown", "true");
  const asked = ++eventQuery;
  const page = await api("GET", `/events?${query}`);
  if (asked !== eventQuery) return;
  const list = $("event-list");
  page.events.forEach((event, index) => {
    let li = eventCards.get(event.event_id);
    if (!li) {
      li = eventCard(event);
      eventCards.set(event.event_id, li);
    }
    if (list.children[index] !== li) list.insertBefore(li, list.children[index] || null);
    showEvent(li, event);
  });
  const shown = new Set(page.events.map((e) => e.event_id));
  for (const id of [...eventCards.keys()].filter((i) => !shown.has(i))) dropEvent(id);
  $("no-events").hidden = page.events.length > 0;
  addCameraOptions(page.events.map((e) => e.camera));
  await Promise.all(page.events.map((event) => refreshCrop(event)));
}

function eventCard(event) {
  const li = document.createElement("li");
  li.className = "event";
  li.dataset.eventId = event.event_id;
  li.innerHTML = `<div class="crop-box"><img class="crop" alt="face seen" hidden><div class="no-crop">no crop</div></div>
    <div class="event-info">
      <b class="who"></b> <span class="score"></span>
      <div><span class="event-camera"></span>, collection <span class="event-collection"></span></div>
      <div>first seen <time class="first-seen"></time>, last seen <time class="last-seen"></time></div>
      <div><span class="tracks"></span> track(s), <span class="ended"></span></div>
      <div class="enrol-box" hidden>
        <button class="enrol-as">Enrol as…</button>
        <form class="enrol-form" hidden>
          <input class="enrol-name" placeholder="name" size="16">
          <button class="enrol-confirm">Enrol</button> <button type="button" class="enrol-cancel">Cancel</button>
        </form>
        <span class="enrol-result" role="status"></span>
      </div>
    </div>`;
  const form = li.querySelector(".enrol-form");
  li.querySelector(".enrol-as").onclick = () => {
    form.hidden = false;
    li.querySelector(".enrol-as").hidden = true;
    li.querySelector(".enrol-name").focus();
  };
  li.querySelector(".enrol-cancel").onclick = () => {
    form.hidden = true;
    li.querySelector(".enrol-as").hidden = false;
  };
  form.onsubmit = (submitted) => { submitted.preventDefault(); enrolEvent(li, event); };
  return li;
}

// Every value from the API goes in as text (textContent), never as markup.
function showEvent(li, event) {
  const text = (selector, value) => { li.querySelector(selector).textContent = value; };
  const who = li.querySelector(".who");
  who.textContent = event.person ? event.person.name : "unknown";
  who.className = `who ${event.person ? "known" : "unknown"}`;
  text(".score", `${event.score.toFixed(3)} (threshold ${event.threshold.toFixed(3)})`);
  text(".event-camera", event.camera);
  text(".event-collection", event.collection);
  showTime(li.querySelector(".first-seen"), event.first_seen);
  showTime(li.querySelector(".last-seen"), event.last_seen);
  text(".tracks", String(event.track_count));
  text(".ended", event.ended ? "ended" : "ongoing");
  li.classList.toggle("ended", event.ended);
  li.querySelector(".enrol-box").hidden = Boolean(event.person);
  const enrolled = enrolledEvents.get(event.event_id);
  if (enrolled !== undefined) markEnrolled(li, enrolled);
}

function markEnrolled(li, text) {
  li.querySelector(".enrol-as").hidden = true;
  li.querySelector(".enrol-form").hidden = true;
  const result = li.querySelector(".enrol-result");
  result.className = "enrol-result enrolled";
  result.textContent = text;
}

function showTime(element, iso) {
  element.dateTime = iso;
  element.textContent = new Date(iso).toLocaleString();
}

// Fetched when the event is new to the page, and again when it changed (its best face may have).
async function refreshCrop(event) {
  const version = `${event.last_seen}/${event.track_count}`;
  if (eventCrops.get(event.event_id)?.version === version) return;
  const url = await blobUrl(event.crop_url).catch(() => "");
  const li = eventCards.get(event.event_id);
  if (!li) { if (url) URL.revokeObjectURL(url); return; }
  const old = eventCrops.get(event.event_id);
  const img = li.querySelector(".crop");
  if (url) img.src = url;
  eventCrops.set(event.event_id, { url: url || old?.url || "", version });
  if (url && old?.url) URL.revokeObjectURL(old.url);
  img.hidden = !img.getAttribute("src");
  li.querySelector(".no-crop").hidden = !img.hidden;
}

function dropEvent(id) {
  const crop = eventCrops.get(id);
  if (crop?.url) URL.revokeObjectURL(crop.url);
  eventCrops.delete(id);
  eventCards.get(id)?.remove();
  eventCards.delete(id);
}

// The crop's face, enrolled in the event's collection as the name typed; never silent on refusal.
async function enrolEvent(li, event) {
  const result = li.querySelector(".enrol-result");
  const name = li.querySelector(".enrol-name").value.trim();
  const confirmButton = li.querySelector(".enrol-confirm");
  result.className = "enrol-result";
  result.textContent = "enrolling…";
  confirmButton.disabled = true;
  try {
    const crop = await imageBytes(event.crop_url);
    await enrolFace(event.collection, name, crop, { select: "largest" });
    enrolledEvents.set(event.event_id, `enrolled as ${name} in ${event.collection}`);
    markEnrolled(li, enrolledEvents.get(event.event_id));
    say(`${name} enrolled in ${event.collection}`);
  } catch (error) {
    result.className = "enrol-result error";
    result.textContent = error.message;
    say(error.message, true);
  } finally {
    confirmButton.disabled = false;
  }
}

function addCameraOptions(names) {
  const select = $("event-camera");
  for (const name of names) {
    if (eventCameras.has(name)) continue;
    eventCameras.add(name);
    const option = document.createElement("option");
    option.value = name;
    option.textContent = name;
    select.appendChild(option);
  }
}

$("event-camera").onchange = () => run(refreshEvents);
$("event-unknown").onchange = () => run(refreshEvents);
