"""The after-action report of a demonstration as a PDF: summary, key moments, the whole
timeline and the final agreed map.

``render_report(report)`` prints a ``Report`` (read by ``review.report_data.report_of``)
and reads nothing from the database; ``after_action_pdf(event, reader=...)`` does both. The
fonts, styles, tables and the tile-less map are the briefing sheet's (``zones.briefing``).
Every page's footer carries the log's verification result and last hash, so that a paper
copy can be matched to the log it was printed from.
"""

from __future__ import annotations

import datetime as dt
import io
import statistics

from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from events.models import Event
from review.report_data import AckedMessage, Report, report_of
from zones.briefing import (
    TABLE_STYLE,
    Briefing,
    contact_section,
    draw_map,
    facts_table,
    format_when,
    map_legend,
    pdf_escape,
    pdf_fonts,
    pdf_styles,
    pdf_table,
)

#: Timeline rows per table: reportlab splits a long table across pages by measuring it again
#: for every page, so one table of 10,000 rows would take minutes; chunks keep it linear.
TIMELINE_CHUNK = 150


def after_action_pdf(event: Event, *, reader) -> bytes:
    """The after-action report of ``event`` as PDF bytes, for ``reader`` (who may read the
    event's log: city staff and reviewers). Dates follow the active language."""
    return render_report(report_of(event, reader=reader))


def _duration_text(seconds: float) -> str:
    seconds = round(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return _("%(h)d h %(m)02d min") % {"h": hours, "m": minutes}
    if minutes:
        return _("%(m)d min %(s)02d s") % {"m": minutes, "s": secs}
    return _("%(s)d s") % {"s": secs}


def _moment(value: dt.datetime) -> str:
    """A timeline's moment: the short date and the time to the second (entries are often
    seconds apart)."""
    return format_when(value, seconds=True)


def _when_row(row) -> str:
    """When an entry was recorded, and when it happened where that differs."""
    if row.happened_at is None:
        return _moment(row.at)
    return _("%(recorded)s (happened %(happened)s)") % {"recorded": _moment(row.at),
                                                       "happened": _moment(row.happened_at)}


def _cell(text: str, font: str, size: float, width: float, style) -> str | Paragraph:
    """``text`` as a plain string where it fits ``width`` points on one line (cheap to lay
    out), else as a Paragraph that wraps."""
    if stringWidth(text, font, size) <= width:
        return text
    return Paragraph(pdf_escape(text), style)


def _seconds(value: float | None) -> str:
    if value is None:
        return "—"
    return _("%(seconds)s s") % {"seconds": formats.number_format(value, decimal_pos=1)}


def _summary(report: Report, width: float, styles) -> list:
    duration = report.duration
    facts = [
        (_("Reference"), report.reference),
        (_("State"), report.state_label),
        (_("Kind"), report.kind_label),
        (_("Organisation"), report.organisation or "—"),
        (_("Planned start"), format_when(report.starts_at)),
        (_("Planned end"), format_when(report.ends_at)),
        (_("Went live"), format_when(report.went_live_at)),
        (_("Concluded"), format_when(report.concluded_at)),
        (_("Duration (live to concluded)"),
         _duration_text(duration.total_seconds()) if duration is not None else "—"),
        (_("Planned duration"),
         _duration_text((report.ends_at - report.starts_at).total_seconds())),
        (_("Expected attendance"), formats.number_format(report.expected_attendance,
                                                         force_grouping=True)),
        (_("Stewards"), str(report.stewards)),
        (_("Messages"), str(report.messages_total)),
        (_("Log entries"), str(report.log_entries)),
    ]
    story: list = [Paragraph(pdf_escape(_("Summary")), styles["h2"]),
                   facts_table(facts, width, styles)]

    counts = [[_("Messages by party"), _("Count")]]
    counts += [[label, str(count)] for label, count in report.messages_by_party]
    kinds = [[_("Messages by kind"), _("Count")]]
    kinds += [[label, str(count)] for label, count in report.messages_by_kind]
    side_by_side = Table([[pdf_table(counts, [width * 0.3, width * 0.15], styles),
                           pdf_table(kinds, [width * 0.3, width * 0.15], styles)]],
                         colWidths=[width * 0.5, width * 0.5], hAlign="LEFT")
    side_by_side.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"),
                                      ("LEFTPADDING", (0, 0), (-1, -1), 0)]))
    story += [Spacer(1, 2 * mm), side_by_side]

    story.append(contact_section(report.contact, width, styles))
    return story


def _acknowledgements(report: Report, width: float, styles) -> list:
    story: list = [Paragraph(pdf_escape(_("Instructions and alerts")), styles["h2"])]
    if not report.acked_messages:
        story.append(Paragraph(pdf_escape(_("No instruction or alert was sent.")),
                               styles["body"]))
        return story
    seconds = report.all_ack_seconds
    never = sum(len(m.never_acknowledged) for m in report.acked_messages)
    facts = [
        (_("Instructions and alerts sent"), str(len(report.acked_messages))),
        (_("Acknowledgements"), str(len(seconds))),
        (_("Median time to acknowledge"),
         _seconds(statistics.median(seconds) if seconds else None)),
        (_("Longest time to acknowledge"), _seconds(max(seconds, default=None))),
        (_("Acknowledgements never given"), str(never)),
    ]
    story.append(facts_table(facts, width, styles))
    story.append(Spacer(1, 1.5 * mm))
    rows: list[list] = [[_("Sent"), _("Message"), _("Acknowledged by (seconds)"),
                         _("Median / longest"), _("Never acknowledged")]]
    for message in report.acked_messages:
        rows.append(_acked_row(message))
    story.append(pdf_table(rows, [w * width for w in (0.13, 0.32, 0.27, 0.12, 0.16)], styles))
    return story


def _acked_row(message: AckedMessage) -> list[str]:
    acked = "\n".join(f"{a.name} ({a.role_label}): {_seconds(a.seconds)}"
                      for a in message.acknowledgements)
    return [
        format_when(message.sent_at),
        f"{message.kind_label} · {message.channel_label} #{message.seq} · "
        f"{message.sender} ({message.sender_role_label}): {message.body}",
        acked or "—",
        f"{_seconds(message.median_seconds)} / {_seconds(message.max_seconds)}",
        ", ".join(message.never_acknowledged) or "—",
    ]


def _incidents(report: Report, width: float, styles) -> list:
    story: list = [Paragraph(pdf_escape(_("Incidents")), styles["h2"])]
    if not report.incidents:
        story.append(Paragraph(pdf_escape(_("No incident was reported.")), styles["body"]))
        return story
    rows: list[list] = [[_("Happened"), _("Recorded"), _("Severity"), _("Description"),
                         _("Reported by")]]
    for incident in report.incidents:
        rows.append([format_when(incident.happened_at),
                     format_when(incident.recorded_at),
                     incident.severity_label, incident.description, incident.reported_by])
    story.append(pdf_table(rows, [w * width for w in (0.15, 0.15, 0.1, 0.42, 0.18)], styles))
    return story


def _zone_changes(report: Report, width: float, styles) -> list:
    story: list = [Paragraph(pdf_escape(_("Zone changes")), styles["h2"])]
    if not report.zones:
        story.append(Paragraph(pdf_escape(_("No zone was drawn.")), styles["body"]))
        return story
    story.append(Paragraph(pdf_escape(
        ngettext("%(zones)d zone, ", "%(zones)d zones, ", len(report.zones))
        % {"zones": len(report.zones)}
        + ngettext("%(versions)d version, ", "%(versions)d versions, ", report.zone_versions)
        % {"versions": report.zone_versions}
        + ngettext("%(agreements)d agreement.", "%(agreements)d agreements.",
                   report.zone_agreements) % {"agreements": report.zone_agreements}),
        styles["body"]))
    story.append(Spacer(1, 1.5 * mm))
    rows: list[list] = [[_("Zone"), _("Kind"), _("Versions"), _("Agreements"),
                         _("Final status")]]
    for zone in report.zones:
        rows.append([zone.label or "—", zone.kind_label, str(zone.versions),
                     str(zone.agreements),
                     _("%(status)s (version %(version)s)") % {"status": zone.status_label,
                                                              "version": zone.version}])
    story.append(pdf_table(rows, [w * width for w in (0.32, 0.22, 0.12, 0.14, 0.2)], styles))
    return story


def _key_moments(report: Report, width: float, styles) -> list:
    story: list = [Paragraph(pdf_escape(_("Key moments")), styles["h2"])]
    if not report.key_moments:
        story.append(Paragraph(pdf_escape(_("No message was marked as a key moment.")),
                               styles["body"]))
        return story
    rows: list[list] = [[_("Sent"), _("Message"), _("Note (marked by)")]]
    for moment in report.key_moments:
        note = f"{moment.note} ({moment.marked_by})" if moment.note else f"({moment.marked_by})"
        rows.append([format_when(moment.sent_at),
                     f"{moment.channel_label} · {moment.sender} ({moment.sender_role_label}): "
                     f"{moment.body}", note])
    story.append(pdf_table(rows, [w * width for w in (0.15, 0.55, 0.3)], styles))
    return story


def _timeline(report: Report, width: float, styles) -> list:
    story: list = [Paragraph(pdf_escape(_("Timeline")), styles["h2"]),
                   Paragraph(pdf_escape(ngettext(
                       "Every entry of the log, in order (%(count)d entry).",
                       "Every entry of the log, in order (%(count)d entries).",
                       len(report.timeline)) % {"count": len(report.timeline)}),
                       styles["small"]),
                   Spacer(1, 1 * mm)]
    if not report.timeline:
        return story
    cell = styles["tiny"]
    header = [Paragraph(pdf_escape(text), styles["tiny_head"])
              for text in (_("Seq"), _("Time"), _("Actor"), _("Kind"), _("What"))]
    widths = [w * width for w in (0.05, 0.14, 0.17, 0.19, 0.45)]
    font = pdf_fonts()[0]
    # The cell's width less its padding, for the values printed on one line.
    fits = {column: widths[column] - 7 for column in (2, 3)}
    rows = report.timeline
    for start in range(0, len(rows), TIMELINE_CHUNK):
        # Plain strings where a value fits on one line: a Paragraph costs far more to lay
        # out, and a timeline can have tens of thousands of rows.
        cells = [header] + [
            [str(row.seq), _moment(row.at) if row.happened_at is None
             else Paragraph(pdf_escape(_when_row(row)), cell),
             _cell(row.actor, font, 6.5, fits[2], cell), _cell(row.kind, font, 6.5, fits[3], cell),
             Paragraph(pdf_escape(row.summary), cell)]
            for row in rows[start:start + TIMELINE_CHUNK]
        ]
        table = Table(cells, colWidths=widths, repeatRows=1, hAlign="LEFT")
        table.setStyle(TABLE_STYLE)
        table.setStyle(TableStyle([("FONT", (0, 1), (3, -1), font, 6.5),
                                   ("TOPPADDING", (0, 0), (-1, -1), 1),
                                   ("BOTTOMPADDING", (0, 0), (-1, -1), 1)]))
        story.append(table)
    return story


def _final_map(report: Report, width: float, styles) -> list:
    heading = Paragraph(pdf_escape(_("The final agreed map")), styles["h2"])
    places = Briefing(
        reference=report.reference, title=report.title, kind_label=report.kind_label,
        state_label=report.state_label, organisation=report.organisation,
        starts_at=report.starts_at, ends_at=report.ends_at,
        expected_attendance=report.expected_attendance, stewards=report.stewards,
        amplified_sound=False, assembly_point=report.assembly_point, route=report.route,
        dispersal_point=report.dispersal_point, zones=report.final_zones,
    )
    story: list = [KeepTogether([heading, draw_map(places, width, 105 * mm),
                                 Spacer(1, 1.5 * mm), map_legend(places, width, styles)])]
    if report.final_zones:
        rows: list[list] = [[_("No."), _("Kind"), _("Label"), _("Conditions"),
                             _("Agreed by")]]
        for zone in report.final_zones:
            rows.append([str(zone.number), zone.kind_label, zone.label or "—",
                         zone.conditions or "—",
                         "\n".join(f"{a.party}: {a.name}" for a in zone.agreements) or "—"])
        story += [Spacer(1, 1.5 * mm),
                  pdf_table(rows, [w * width for w in (0.06, 0.16, 0.2, 0.3, 0.28)], styles)]
    else:
        story.append(Paragraph(pdf_escape(_("No zone was agreed by all three parties.")),
                               styles["body"]))
    return story


def _story(report: Report, width: float) -> list:
    styles = pdf_styles()
    styles["tiny"] = styles["cell"].clone("tiny", fontSize=6.5, leading=8)
    styles["tiny_head"] = styles["head"].clone("tiny_head", fontSize=6.5, leading=8)
    story: list = [
        Paragraph(pdf_escape(_("After-action report: %(reference)s")
                             % {"reference": report.reference}), styles["small"]),
        Paragraph(pdf_escape(report.title), styles["title"]),
    ]
    story += _summary(report, width, styles)
    story += _acknowledgements(report, width, styles)
    story += _incidents(report, width, styles)
    story += _zone_changes(report, width, styles)
    story += _key_moments(report, width, styles)
    story += _final_map(report, width, styles)
    story += _timeline(report, width, styles)
    return story


def _verification_text(report: Report) -> str:
    if report.log_valid:
        return _("log verified (%(entries)s entries), last hash %(hash)s") % {
            "entries": report.log_entries, "hash": report.log_last_hash or "—"}
    return _("LOG DOES NOT VERIFY: first bad entry %(seq)s; last hash %(hash)s") % {
        "seq": report.log_first_bad_seq, "hash": report.log_last_hash or "—"}


def _numbered_canvas(footer: str, verification: str, valid: bool):
    """A canvas class that writes "page N of M" on every page once the total is known."""

    class NumberedCanvas(Canvas):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            self._pages: list[dict] = []

        def showPage(self) -> None:  # reportlab's name
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._pages)
            for state in self._pages:
                self.__dict__.update(state)
                self._draw_footer(total)
                super().showPage()
            super().save()

        def _draw_footer(self, total: int) -> None:
            self.saveState()
            self.setFont(pdf_fonts()[0], 7)
            self.setFillColor(colors.HexColor("#545d68"))
            page = _("page %(page)d of %(total)d") % {"page": self._pageNumber,
                                                      "total": total}
            self.drawString(15 * mm, 11 * mm, f"{footer} · {page}")
            if not valid:
                self.setFillColor(colors.HexColor("#b42318"))
            self.drawString(15 * mm, 7.5 * mm, verification)
            self.restoreState()

    return NumberedCanvas


def render_report(report: Report) -> bytes:
    """The after-action report as PDF bytes (A4)."""
    buffer = io.BytesIO()
    footer = _("%(reference)s · after-action report generated %(when)s") % {
        "reference": report.reference, "when": format_when(report.generated_at)}
    doc = SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm, topMargin=14 * mm,
        bottomMargin=18 * mm, title=f"{report.reference} {report.title}",
        subject=_("After-action report"), author="Parley", creator="Parley",
    )
    doc.build(_story(report, doc.width),
              canvasmaker=_numbered_canvas(footer, _verification_text(report),
                                           report.log_valid))
    return buffer.getvalue()
