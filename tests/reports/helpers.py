"""Reading report tables back out of the HTML page."""

from html.parser import HTMLParser


class _TableParser(HTMLParser):
    def __init__(self, table_id: str):
        super().__init__()
        self.table_id = table_id
        self.inside = False
        self.rows: list[list[str]] = []
        self.cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "table" and dict(attrs).get("id") == self.table_id:
            self.inside = True
        elif self.inside and tag == "tr":
            self.rows.append([])
        elif self.inside and tag in ("td", "th"):
            self.cell = []

    def handle_endtag(self, tag):
        if tag == "table" and self.inside:
            self.inside = False
        elif self.inside and tag in ("td", "th") and self.cell is not None:
            self.rows[-1].append(" ".join("".join(self.cell).split()))
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


def html_table(page: str, key: str) -> list[dict[str, str]]:
    """The rows of the report table `key` as dicts keyed by column heading."""
    parser = _TableParser(f"table-{key}")
    parser.feed(page)
    header, *rows = parser.rows
    # A row spanning the table ("No data for these filters.") has no figures to read.
    return [dict(zip(header, row, strict=True)) for row in rows if len(row) == len(header)]
