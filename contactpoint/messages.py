"""Every message key the core and the hardware can answer with, and its translatable text.

Keys travel in JSON errors and events; pages show the translation in the visitor's or agent's language.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

MESSAGES = {
    # visitors
    "unknown_need": _l("This service does not exist here. Please choose one on the screen."),
    "unknown_language": _l("This language is not available here."),
    "site_closed": _l("The contact point is closed now."),
    "no_counter_for_need": _l("No counter serves this today. Please ask at the reception."),
    "rate_limited": _l("Too many tickets at once. Please wait a moment and try again."),
    "bad_request": _l("This request is not valid."),
    "not_found": _l("This page does not exist."),
    "server_error": _l("Something went wrong on our side. Please try again."),
    "disk_full_visitor": _l("No ticket can be given right now. Please ask at the desk."),
    "ticket_expired": _l("This ticket is no longer valid: the day is closed."),
    "site_closing": _l("The contact point closes soon: no more tickets today."),
    "capacity_reached": _l("There are no more tickets today for this."),
    "queue_full": _l("Too many people are already waiting: nobody else can be seen before closing."),
    "no_counter_open": _l("No counter is open right now."),
    "unknown_appointment": _l("We did not find this appointment. Please check the code."),
    "appointment_cancelled": _l("This appointment was cancelled."),
    "appointment_already_checked_in": _l("You have already checked in for this appointment."),
    "appointment_not_today": _l("This appointment is not today."),
    "appointment_too_early": _l("You are early for your appointment."),
    # managers (appointments)
    "invalid_booking_code": _l("A booking code has 4 to 12 letters or digits."),
    "invalid_duration": _l("The duration must be between 0 and 480 minutes."),
    "appointment_in_past": _l("This appointment is in the past."),
    "booking_code_taken": _l("This booking code is already used that day."),
    "appointment_not_booked": _l("This appointment is no longer open."),
    "invalid_import": _l("This file could not be read as CSV or iCalendar."),
    # agents
    # managers (settings, agents)
    "unknown_setting": _l("This setting cannot be changed here."),
    "bad_setting_value": _l("This value is not valid for this setting."),
    "need_in_use": _l("This service has visitors or an open counter today: it can be removed once the day is closed."),
    "need_booked": _l("Appointments are booked for this service: cancel them first."),
    "counter_in_use": _l("This counter is open or has a visitor: it can be removed once it is closed."),
    "unknown_role": _l("Choose a role."),
    "cannot_change_own_role": _l("You cannot change your own role."),
    "login_required": _l("Please log in."),
    "login_failed": _l("Wrong name or password."),
    "csrf_failed": _l("This form has expired. Please reload the page."),
    "forbidden": _l("You are not allowed to do this."),
    "unknown_ticket": _l("This ticket does not exist."),
    "unknown_counter": _l("This counter does not exist."),
    "unknown_outcome": _l("Choose how the visit ended."),
    "counter_not_open": _l("Open your counter first."),
    "counter_taken": _l("Another agent works at this counter."),
    "agent_at_other_counter": _l("You already work at another counter."),
    "choose_needs": _l("Choose at least one service."),
    "counter_paused": _l("Your counter is paused."),
    "counter_not_paused": _l("Your counter is not paused."),
    "finish_current_first": _l("Finish the current visit first."),
    "queue_empty": _l("Nobody is waiting for your services."),
    "no_current_ticket": _l("No visitor at your counter."),
    "ticket_not_called": _l("This ticket has not been called."),
    "ticket_not_waiting": _l("This ticket is not waiting."),
    "ticket_not_absent": _l("This ticket was not marked absent."),
    "ticket_closed": _l("This visit is already closed."),
    "grace_expired": _l("Too late to rejoin: the waiting time for absent visitors has passed."),
    "reason_required": _l("Give a reason."),
    "reason_too_long": _l("The reason is too long."),
    "note_too_long": _l("The note is too long."),
    "transfer_target_required": _l("Choose where to transfer the visit."),
    "no_help_request": _l("No help request is open."),
    "login_throttled": _l("Too many failed logins. Try again in {minutes} min."),
    "referral_required": _l("Choose the organisation you referred the visitor to."),
    "unknown_organisation": _l("This organisation is not in the site's list."),
    "unknown_agent": _l("This agent is not working at a counter now."),
    "bad_agent_name": _l("A name is 1 to 60 characters, without line breaks."),
    "cannot_disable_self": _l("You cannot disable your own account."),
    "connection_lost": _l("The box does not answer. Check the network."),
    "command_timeout": _l("The box did not answer in time. Check your counter before trying again."),
    "counter_not_yours": _l("Another agent works at this counter now."),
    "target_counter_closed": _l("This counter is closed: choose an open one."),
    "ticket_at_other_counter": _l("This visitor is at another agent's counter."),
    "unknown_contact_channel": _l("Choose how the contact came: phone, email or at the desk."),
    # hardware
    "disk_full": _l("The box's disk is full: nothing new can be saved. Free some space or call the technician."),
    "printer_ok": _l("The printer is ready."),
    "printer_paper_out": _l("The printer is out of paper."),
    "printer_paper_low": _l("The printer paper is running low."),
    "printer_cover_open": _l("The printer cover is open."),
    "printer_offline": _l("The printer does not answer."),
    "printer_error": _l("The printer has a problem."),
    # waiting-room display and its announcements
    "unknown_zone": _l("This display zone does not exist. Check the zone in the display's address."),
    "audio_unavailable": _l("Spoken announcements are not available: espeak-ng is missing."),
    "audio_render_failed": _l("An announcement could not be spoken."),
    "audio_timeout": _l("An announcement took too long to prepare."),
    "audio_language_unsupported": _l("Announcements are not available in this language."),
}

# visitors: satisfaction taps (docs/feedback.md)
MESSAGES.update(
    {
        "invalid_score": _l("Choose one of the four faces."),
        "unknown_channel": _l("This way of answering does not exist."),
        "visit_not_finished": _l("You can answer once your visit is finished."),
        "feedback_already_given": _l("You have already answered for this visit. Thank you!"),
    }
)

# paired devices (docs/devices.md)
MESSAGES.update(
    {
        "device_not_paired": _l("This device is not paired with the box yet."),
        "device_wrong_role": _l("This device is paired for another page."),
        "unknown_pairing_code": _l("No device shows this pairing code now."),
        "device_name_taken": _l("Another device already has this name."),
        "bad_device_name": _l("A device's name is 1 to 60 characters, without line breaks."),
        "unknown_device_role": _l("Choose the device's role: kiosk, display, counter or feedback tablet."),
        "unknown_device": _l("This device does not exist or is already revoked."),
    }
)


def message(key: str) -> str:
    text = MESSAGES.get(key)
    return str(text) if text is not None else key
