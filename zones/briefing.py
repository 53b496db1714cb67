"""The printable briefing sheet of an agreed demonstration: what stewards and officers carry
on the day.

``render_briefing(briefing)`` turns plain data (a ``Briefing``, read by
``zones.selectors.briefing_of``) into PDF bytes; it reads nothing from the database, so it
is tested with data alone. The map is drawn as vectors from the geometries themselves —
no background tiles — so the sheet is produced offline and prints sharply at any size.
Its fonts, styles, tables, map and legend (the public names below) also print the
after-action report (``review/report.py``).
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import itertools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path as FilePath

from django.conf import settings
from django.contrib.gis.geos import GEOSGeometry, LineString, Point, Polygon
from django.utils import formats, timezone
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from reportlab.graphics.shapes import (
    FILL_EVEN_ODD,
    Circle,
    Drawing,
    Path,
    PolyLine,
    Rect,
    String,
)
from reportlab.graphics.shapes import Polygon as ShapePolygon
from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.fonts import addMapping
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import (
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from coordination.moments import format_moment, format_span
from events.models import Event
from zones.styles import (
    ASSEMBLY_POINT_COLOUR,
    DISPERSAL_POINT_COLOUR,
    ROUTE_COLOUR,
    kind_colour,
)

#: Mean Earth radius (m). The map covers a few kilometres, where a local equirectangular
#: projection is within a fraction of a percent of the ground: good enough for a scale bar,
#: and it needs no choice of projected SRID that depends on where the city is.
EARTH_RADIUS_M = 6_371_008.8
#: The demonstration's states in which its sheet can be printed: what was agreed is final
#: enough to carry on the day.
BRIEFING_STATES = frozenset({Event.State.AGREED, Event.State.LIVE})
#: The smallest stretch of ground the map shows, so that a lone point is not drawn at an
#: absurd zoom.
MIN_EXTENT_M = 300.0


@dataclass(frozen=True)
class Agreement:
    """One party's agreement to a zone's current version."""

    party: str  # the role label, already translated
    name: str
    at: dt.datetime


@dataclass(frozen=True)
class BriefingZone:
    """A zone as the sheet shows it; ``number`` ties the drawing to the table."""

    number: int
    kind: str
    kind_label: str
    label: str
    conditions: str
    valid_from: dt.datetime | None
    valid_to: dt.datetime | None
    geometry: GEOSGeometry  # Polygon or MultiPolygon, WGS 84
    agreements: tuple[Agreement, ...] = ()


@dataclass(frozen=True)
class Member:
    """A member of the liaison team; ``email`` is None where the reader may not see it."""

    name: str
    role_label: str
    email: str | None = None


@dataclass(frozen=True)
class Contact:
    """The organisers' contact on the day."""

    name: str
    phone: str
    email: str


@dataclass(frozen=True)
class Briefing:
    """Everything the sheet prints, already filtered for the person who downloads it."""

    reference: str
    title: str
    kind_label: str
    state_label: str
    organisation: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    expected_attendance: int
    stewards: int
    amplified_sound: bool
    assembly_point: Point
    route: LineString | None = None
    dispersal_point: Point | None = None
    #: What the organisers call the places; their coordinates are shown only without one.
    assembly_point_name: str = ""
    dispersal_point_name: str = ""
    zones: Sequence[BriefingZone] = ()
    #: City-wide sensitive sites near the demonstration (only for readers who may see them).
    sensitive_sites: Sequence[BriefingZone] = ()
    #: Zones drawn but not yet agreed by all three parties: not on the sheet, only counted.
    zones_not_agreed: int = 0
    members: Sequence[Member] = ()
    #: None when the reader may not see the organisers' contact details.
    contact: Contact | None = None
    generated_at: dt.datetime = field(default_factory=timezone.now)


# --- Fonts --------------------------------------------------------------------------------

#: Debian's DejaVu fonts (package fonts-dejavu-core). Unless a directory holding
#: DejaVuSans.ttf and DejaVuSans-Bold.ttf is configured (``PARLEY_PDF_FONT_DIR``), this one
#: is tried.
DEFAULT_FONT_DIR = "/usr/share/fonts/truetype/dejavu"


def pdf_fonts() -> tuple[str, str]:
    """(regular, bold) font names for the sheet.

    The PDF standard fonts (Helvetica) only know Western European letters: a steward named
    Łukasz or a contact written in Cyrillic would print as black boxes. So a Unicode font is
    embedded when one is installed; Helvetica is the fallback that always works.
    """
    return _register_fonts(getattr(settings, "PARLEY_PDF_FONT_DIR", DEFAULT_FONT_DIR))


@functools.cache
def _register_fonts(font_dir: str) -> tuple[str, str]:
    regular = FilePath(font_dir) / "DejaVuSans.ttf"
    bold = FilePath(font_dir) / "DejaVuSans-Bold.ttf"
    if not (regular.is_file() and bold.is_file()):
        return "Helvetica", "Helvetica-Bold"
    pdfmetrics.registerFont(TTFont("ParleySans", str(regular)))
    pdfmetrics.registerFont(TTFont("ParleySans-Bold", str(bold)))
    # So that <b> in a paragraph finds the bold face.
    for italic in (0, 1):
        addMapping("ParleySans", 0, italic, "ParleySans")
        addMapping("ParleySans", 1, italic, "ParleySans-Bold")
    return "ParleySans", "ParleySans-Bold"


# --- Formatting ---------------------------------------------------------------------------


def format_when(value: dt.datetime | None, *, seconds: bool = False) -> str:
    """A moment as every page shows it (``coordination.moments``: the city's local time with
    its zone); "—" for None."""
    if value is None:
        return "—"
    return format_moment(value, seconds=seconds)


def _validity(zone: BriefingZone) -> str:
    if zone.valid_from is None and zone.valid_to is None:
        return _("always")
    return format_span(zone.valid_from, zone.valid_to)


def pdf_escape(value: str) -> str:
    """User-written text made safe for a Paragraph, which reads a small XML markup: a ``<``
    in a zone's conditions must print, not break the sheet."""
    return escape(value).replace("\n", "<br/>")


def pdf_styles() -> dict[str, ParagraphStyle]:
    """The paragraph styles of Parley's printed sheets, in the embedded font."""
    sheet = getSampleStyleSheet()
    regular, bold = pdf_fonts()
    body = ParagraphStyle("body", parent=sheet["BodyText"], fontName=regular, fontSize=9,
                          leading=11.5, alignment=TA_LEFT, spaceAfter=0, spaceBefore=0)
    return {
        "title": ParagraphStyle("title", parent=sheet["Title"], fontName=bold, fontSize=17,
                                leading=21, alignment=TA_LEFT, spaceAfter=2 * mm),
        "h2": ParagraphStyle("h2", parent=sheet["Heading2"], fontName=bold, fontSize=12,
                             leading=15, spaceBefore=4 * mm, spaceAfter=1.5 * mm),
        "body": body,
        "small": ParagraphStyle("small", parent=body, fontSize=7.5, leading=9.5),
        "cell": ParagraphStyle("cell", parent=body, fontSize=8, leading=10),
        "head": ParagraphStyle("head", parent=body, fontSize=8, leading=10,
                               fontName=pdf_fonts()[1]),
    }


TABLE_STYLE = TableStyle([
    ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.black),
    ("LINEBELOW", (0, 1), (-1, -1), 0.25, colors.HexColor("#c9d1d9")),
    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef1f4")),
    ("LEFTPADDING", (0, 0), (-1, -1), 3),
    ("RIGHTPADDING", (0, 0), (-1, -1), 3),
    ("TOPPADDING", (0, 0), (-1, -1), 2),
    ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
])


def pdf_table(rows: list[list], widths: list[float], styles) -> Table:
    """A table whose first row is the header; every cell wraps."""
    cells = [[Paragraph(pdf_escape(str(cell)), styles["head"]) for cell in rows[0]]]
    for row in rows[1:]:
        cells.append([cell if isinstance(cell, Paragraph) else Paragraph(pdf_escape(str(cell)),
                                                                         styles["cell"])
                      for cell in row])
    table = Table(cells, colWidths=widths, repeatRows=1, hAlign="LEFT")
    table.setStyle(TABLE_STYLE)
    return table


# --- The map ------------------------------------------------------------------------------


class _Projection:
    """Longitude/latitude to points on the drawing: a local equirectangular projection
    centred on the area, scaled to fit the frame with the same scale on both axes."""

    def __init__(self, extent: tuple[float, float, float, float], width: float,
                 height: float, margin: float) -> None:
        west, south, east, north = extent
        self.lon0, self.lat0 = (west + east) / 2, (south + north) / 2
        self.kx = math.cos(math.radians(self.lat0)) * math.radians(1) * EARTH_RADIUS_M
        self.ky = math.radians(1) * EARTH_RADIUS_M
        span_x = max((east - west) * self.kx, MIN_EXTENT_M)
        span_y = max((north - south) * self.ky, MIN_EXTENT_M)
        self.points_per_metre = min((width - 2 * margin) / span_x,
                                    (height - 2 * margin) / span_y)
        self.cx, self.cy = width / 2, height / 2

    def __call__(self, lon: float, lat: float) -> tuple[float, float]:
        x = (lon - self.lon0) * self.kx * self.points_per_metre
        y = (lat - self.lat0) * self.ky * self.points_per_metre
        return self.cx + x, self.cy + y


def _extent(briefing: Briefing) -> tuple[float, float, float, float]:
    """The box around the demonstration's places and agreed zones (sensitive sites only
    show where they fall inside it: the sheet is about this demonstration)."""
    geometries: list[GEOSGeometry] = [briefing.assembly_point]
    geometries += [g for g in (briefing.route, briefing.dispersal_point) if g is not None]
    geometries += [zone.geometry for zone in briefing.zones]
    west = min(g.extent[0] for g in geometries)
    south = min(g.extent[1] for g in geometries)
    east = max(g.extent[2] for g in geometries)
    north = max(g.extent[3] for g in geometries)
    # A tenth more on every side, so nothing touches the frame.
    pad_x, pad_y = (east - west) * 0.1, (north - south) * 0.1
    return west - pad_x, south - pad_y, east + pad_x, north + pad_y


def _polygons(geometry: GEOSGeometry) -> Iterable[Polygon]:
    if geometry.geom_type == "Polygon":
        yield geometry
    elif geometry.geom_type in ("MultiPolygon", "GeometryCollection"):
        for part in geometry:
            yield from _polygons(part)


def _area_shape(geometry: GEOSGeometry, project: _Projection, colour: str, *,
                dashed: bool = False) -> list:
    """A polygon (holes kept) as paths filled even-odd, translucent so overlaps show."""
    shapes = []
    for polygon in _polygons(geometry):
        path = Path(fillMode=FILL_EVEN_ODD, fillColor=colors.HexColor(colour),
                    fillOpacity=0.28, strokeColor=colors.HexColor(colour), strokeWidth=1.2,
                    strokeDashArray=[3, 2] if dashed else None)
        for ring in polygon:
            points = [project(lon, lat) for lon, lat in ring.coords]
            path.moveTo(*points[0])
            for x, y in points[1:]:
                path.lineTo(x, y)
            path.closePath()
        shapes.append(path)
    return shapes


def _badge(x: float, y: float, text: str, colour: str) -> list:
    """A numbered disc, readable over any fill."""
    return [
        Circle(x, y, 6, fillColor=colors.white, strokeColor=colors.HexColor(colour),
               strokeWidth=1.2),
        String(x, y - 2.6, text, fontName=pdf_fonts()[1], fontSize=7,
               textAnchor="middle", fillColor=colors.black),
    ]


def _nice_length(metres: float) -> float:
    """The largest of 1, 2 or 5 times a power of ten metres not above ``metres``."""
    power = 10 ** math.floor(math.log10(metres))
    for step in (5, 2, 1):
        if step * power <= metres:
            return step * power
    return power


def _scale_bar(project: _Projection, x: float, y: float, max_width: float) -> list:
    metres = _nice_length(max_width / project.points_per_metre)
    length = metres * project.points_per_metre
    text = f"{metres / 1000:g} km" if metres >= 1000 else f"{metres:g} m"
    half = length / 2
    return [
        Rect(x, y, half, 3, fillColor=colors.black, strokeColor=colors.black,
             strokeWidth=0.5),
        Rect(x + half, y, half, 3, fillColor=colors.white, strokeColor=colors.black,
             strokeWidth=0.5),
        String(x, y + 5, "0", fontName=pdf_fonts()[0], fontSize=7),
        String(x + length, y + 5, text, fontName=pdf_fonts()[0], fontSize=7,
               textAnchor="middle"),
    ]


def _north_arrow(x: float, y: float) -> list:
    # The projection keeps north straight up, so the arrow is always vertical.
    return [
        ShapePolygon([x, y + 16, x - 5, y, x, y + 4, x + 5, y], fillColor=colors.black,
                     strokeColor=colors.black, strokeWidth=0.5),
        String(x, y + 19, _("N"), fontName=pdf_fonts()[1], fontSize=9,
               textAnchor="middle"),
    ]


def draw_map(briefing: Briefing, width: float, height: float) -> Drawing:
    """The demonstration's places, its agreed zones (numbered as in the table) and nearby
    sensitive sites, with a scale bar and a north arrow."""
    drawing = Drawing(width, height)
    drawing.add(Rect(0, 0, width, height, fillColor=colors.HexColor("#f6f8fa"),
                     strokeColor=colors.HexColor("#57606a"), strokeWidth=0.8))
    extent = _extent(briefing)
    project = _Projection(extent, width, height, margin=14)
    # What the frame shows, in degrees, to cut sensitive sites that reach beyond it.
    half_w = (width / 2) / project.points_per_metre / project.kx
    half_h = (height / 2) / project.points_per_metre / project.ky
    frame = Polygon.from_bbox((project.lon0 - half_w, project.lat0 - half_h,
                               project.lon0 + half_w, project.lat0 + half_h))
    for site in briefing.sensitive_sites:
        shown = site.geometry.intersection(frame)
        if not shown.empty:
            for shape in _area_shape(shown, project, kind_colour(site.kind), dashed=True):
                drawing.add(shape)
    for zone in briefing.zones:
        for shape in _area_shape(zone.geometry, project, kind_colour(zone.kind)):
            drawing.add(shape)
    if briefing.route is not None:
        points = [c for lon, lat in briefing.route.coords for c in project(lon, lat)]
        drawing.add(PolyLine(points, strokeColor=colors.HexColor(ROUTE_COLOUR),
                             strokeWidth=2.5, strokeLineJoin=1, strokeLineCap=1))
    for point, colour, letter in (
        (briefing.assembly_point, ASSEMBLY_POINT_COLOUR, _("A")),
        (briefing.dispersal_point, DISPERSAL_POINT_COLOUR, _("D")),
    ):
        if point is not None:
            x, y = project(point.x, point.y)
            drawing.add(Circle(x, y, 5.5, fillColor=colors.HexColor(colour),
                               strokeColor=colors.white, strokeWidth=1.2))
            drawing.add(String(x, y - 2.5, letter, fontName=pdf_fonts()[1], fontSize=6.5,
                               textAnchor="middle", fillColor=colors.white))
    for zone in briefing.zones:
        spot = zone.geometry.point_on_surface
        for shape in _badge(*project(spot.x, spot.y), str(zone.number), kind_colour(zone.kind)):
            drawing.add(shape)
    for shape in _scale_bar(project, 10, 10, width / 4):
        drawing.add(shape)
    for shape in _north_arrow(width - 16, height - 34):
        drawing.add(shape)
    return drawing


def map_legend(briefing: Briefing, width: float, styles) -> Table:
    """One swatch per kind shown, plus the places and the sensitive sites."""
    entries: list[tuple[str, str]] = [(ASSEMBLY_POINT_COLOUR, _("A: assembly point"))]
    if briefing.route is not None:
        entries.append((ROUTE_COLOUR, _("Route")))
    if briefing.dispersal_point is not None:
        entries.append((DISPERSAL_POINT_COLOUR, _("D: dispersal point")))
    seen: set[str] = set()
    for zone in briefing.zones:
        if zone.kind not in seen:
            seen.add(zone.kind)
            entries.append((kind_colour(zone.kind), zone.kind_label))
    if briefing.sensitive_sites:
        entries.append((kind_colour("sensitive_site"),
                        _("Sensitive site (city-wide, dashed outline)")))
    cells = []
    for colour, text in entries:
        swatch = Drawing(8, 8)
        swatch.add(Rect(0, 0, 8, 8, fillColor=colors.HexColor(colour), strokeColor=None))
        cells.append([swatch, Paragraph(pdf_escape(text), styles["small"])])
    columns = 3
    rows = []
    for start in range(0, len(cells), columns):
        row = [item for cell in cells[start:start + columns] for item in cell]
        rows.append(row + [""] * (2 * columns - len(row)))
    cell_width = width / columns
    table = Table(rows, colWidths=[10, cell_width - 10] * columns, hAlign="LEFT")
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                               ("LEFTPADDING", (0, 0), (-1, -1), 1),
                               ("TOPPADDING", (0, 0), (-1, -1), 1),
                               ("BOTTOMPADDING", (0, 0), (-1, -1), 1)]))
    return table


# --- The sheet ----------------------------------------------------------------------------


def _place(point: Point | None) -> str:
    if point is None:
        return "—"
    return f"{point.y:.5f}, {point.x:.5f}"


def _named_place(label: str, label_with_coordinates: str, name: str,
                 point: Point | None) -> tuple[str, str]:
    """A place as a row of the facts: its name, or its coordinates when it has none."""
    if name:
        return (label, name)
    return (label_with_coordinates, _place(point))


def _route_length_m(route: LineString) -> float:
    """Length along the ground (haversine per segment): the route is a few kilometres."""
    total = 0.0
    coords = route.coords
    for (lon1, lat1), (lon2, lat2) in itertools.pairwise(coords):
        p1, p2 = math.radians(lat1), math.radians(lat2)
        dp, dl = p2 - p1, math.radians(lon2 - lon1)
        a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
        total += 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))
    return total


def facts_table(facts: list[tuple[str, str]], width: float, styles) -> Table:
    """Label/value pairs in two columns of pairs (the briefing's and the report's heads)."""
    half = (len(facts) + 1) // 2
    rows = []
    for i in range(half):
        left = facts[i]
        right = facts[half + i] if half + i < len(facts) else ("", "")
        rows.append([Paragraph(f"<b>{pdf_escape(left[0])}</b>", styles["cell"]),
                     Paragraph(pdf_escape(left[1]), styles["cell"]),
                     Paragraph(f"<b>{pdf_escape(right[0])}</b>", styles["cell"]),
                     Paragraph(pdf_escape(right[1]), styles["cell"])])
    table = Table(rows, colWidths=[width * 0.23, width * 0.27] * 2, hAlign="LEFT")
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"),
                               ("LEFTPADDING", (0, 0), (-1, -1), 2),
                               ("TOPPADDING", (0, 0), (-1, -1), 1),
                               ("BOTTOMPADDING", (0, 0), (-1, -1), 1)]))
    return table


def _story(briefing: Briefing, width: float) -> list:
    styles = pdf_styles()
    story: list = [
        Paragraph(pdf_escape(_("Briefing sheet: %(reference)s")
                             % {"reference": briefing.reference}), styles["small"]),
        Paragraph(pdf_escape(briefing.title), styles["title"]),
    ]
    facts = [
        (_("Reference"), briefing.reference),
        (_("State"), briefing.state_label),
        (_("Kind"), briefing.kind_label),
        (_("Organisation"), briefing.organisation or "—"),
        (_("Starts"), format_when(briefing.starts_at)),
        (_("Ends"), format_when(briefing.ends_at)),
        (_("Expected attendance"), str(briefing.expected_attendance)),
        (_("Stewards"), str(briefing.stewards)),
        (_("Amplified sound"), _("yes") if briefing.amplified_sound else _("no")),
        _named_place(_("Assembly point"), _("Assembly point (lat, lon)"),
                     briefing.assembly_point_name, briefing.assembly_point),
    ]
    if briefing.route is not None:
        facts.append((_("Route"), _("%(points)d points, about %(length)s m")
                      % {"points": len(briefing.route.coords),
                         "length": formats.number_format(
                             round(_route_length_m(briefing.route)), force_grouping=True)}))
    facts.append(_named_place(_("Dispersal point"), _("Dispersal point (lat, lon)"),
                              briefing.dispersal_point_name, briefing.dispersal_point))
    story.append(facts_table(facts, width, styles))

    story.append(Paragraph(pdf_escape(_("Map of the agreed zones")), styles["h2"]))
    story.append(draw_map(briefing, width, 105 * mm))
    story.append(Spacer(1, 1.5 * mm))
    story.append(map_legend(briefing, width, styles))
    if briefing.sensitive_sites:
        names = ", ".join(site.label or site.kind_label for site in briefing.sensitive_sites)
        story.append(Paragraph(pdf_escape(_("Sensitive sites nearby: %(names)s")
                                     % {"names": names}), styles["small"]))

    story.append(Paragraph(pdf_escape(_("Agreed zones")), styles["h2"]))
    if briefing.zones:
        rows = [[_("No."), _("Kind"), _("Label"), _("Valid"), _("Conditions"),
                 _("Agreed by")]]
        for zone in briefing.zones:
            agreed = "\n".join(
                f"{a.party}: {a.name}, {format_when(a.at)}"
                for a in zone.agreements
            )
            rows.append([str(zone.number), zone.kind_label, zone.label or "—",
                         _validity(zone), zone.conditions or "—", agreed or "—"])
        story.append(pdf_table(rows, [w * width for w in (0.05, 0.14, 0.16, 0.17, 0.26, 0.22)],
                            styles))
    else:
        story.append(Paragraph(pdf_escape(_("No zone of this demonstration has been agreed by "
                                       "all three parties.")), styles["body"]))
    if briefing.zones_not_agreed:
        story.append(Spacer(1, 1 * mm))
        story.append(Paragraph(pdf_escape(
            ngettext("%(count)d more zone drawn but not yet agreed by all three parties is "
                     "not on this sheet.",
                     "%(count)d more zones drawn but not yet agreed by all three parties are "
                     "not on this sheet.", briefing.zones_not_agreed)
            % {"count": briefing.zones_not_agreed}), styles["small"]))

    team: list = [Paragraph(pdf_escape(_("Liaison team")), styles["h2"])]
    if briefing.members:
        show_email = any(member.email is not None for member in briefing.members)
        header = [_("Name"), _("Role")] + ([_("E-mail")] if show_email else [])
        rows = [header] + [
            [m.name, m.role_label] + ([m.email or "—"] if show_email else [])
            for m in briefing.members
        ]
        widths = [0.35, 0.3, 0.35] if show_email else [0.5, 0.5]
        team.append(pdf_table(rows, [w * width for w in widths], styles))
    else:
        team.append(Paragraph(pdf_escape(_("No members yet.")), styles["body"]))
    story.append(KeepTogether(team))

    story.append(contact_section(briefing.contact, width, styles))
    return story


def contact_section(contact: Contact | None, width: float, styles) -> KeepTogether:
    """The organisers' contact on the day, or why it is not shown (``contact`` is None for
    readers who may not see it): the briefing's and the report's."""
    section: list = [Paragraph(pdf_escape(_("Organisers' contact on the day")), styles["h2"])]
    if contact is not None:
        section.append(pdf_table(
            [[_("Name"), _("Phone"), _("E-mail")],
             [contact.name or "—", contact.phone or "—", contact.email or "—"]],
            [width * 0.35, width * 0.3, width * 0.35], styles))
    else:
        section.append(Paragraph(pdf_escape(_(
            "Shown only to the demonstration's organisers, city officials and its police "
            "members.")), styles["body"]))
    return KeepTogether(section)


def render_briefing(briefing: Briefing) -> bytes:
    """The briefing sheet as PDF bytes (A4)."""
    buffer = io.BytesIO()
    footer = _("%(reference)s · briefing sheet printed %(when)s · page %%d") % {
        "reference": briefing.reference, "when": format_when(briefing.generated_at)}

    def on_page(canvas, doc) -> None:
        canvas.saveState()
        canvas.setFont(pdf_fonts()[0], 7)
        canvas.setFillColor(colors.HexColor("#545d68"))
        canvas.drawString(doc.leftMargin, 10 * mm, footer % doc.page)
        canvas.restoreState()

    doc = SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm, topMargin=14 * mm,
        bottomMargin=16 * mm, title=f"{briefing.reference} {briefing.title}",
        subject=_("Briefing sheet"), author="Parley", creator="Parley",
    )
    doc.build(_story(briefing, doc.width), onFirstPage=on_page, onLaterPages=on_page)
    return buffer.getvalue()
