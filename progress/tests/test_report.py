import io
import time
from decimal import Decimal

import pytest
from pypdf import PdfReader

from crm.tests.factories import ClientFactory, TrainerFactory
from progress import services
from progress.report import data_only_fetcher, report_pdf

pytestmark = pytest.mark.django_db


def pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_report_shows_the_same_numbers_as_the_page():
    client = ClientFactory(
        first_name="Мария", last_name="Иванова", trainer=TrainerFactory(), height_cm=165
    )
    for period, weight, waist in (
        ("before", "70", "82"),
        ("week_1", "69.4", "81"),
        ("week_2", "68.5", "79.5"),
    ):
        services.measurement_save(
            client=client,
            period=period,
            values={"weight": Decimal(weight), "waist": Decimal(waist)},
        )
    services.target_set(client=client, metric="waist", value=Decimal(75))
    started = time.monotonic()
    pdf = report_pdf(client=client, comment="Отличная динамика, держим питание.")
    elapsed = time.monotonic() - started
    text = pdf_text(pdf)
    assert "Отчёт о прогрессе" in text and "Мария Иванова" in text
    assert "Отличная динамика, держим питание." in text
    assert "До и сейчас" in text
    assert "70" in text and "68,5" in text and "−1,5" in text  # weight before, now, change
    assert "82" in text and "79,5" in text and "−2,5" in text  # waist
    assert "Неделя 2" in text and "Цели" in text
    assert elapsed < 10


def test_report_without_entries_still_renders():
    assert "Замеров пока нет." in pdf_text(report_pdf(client=ClientFactory(), comment=""))


def test_fetcher_refuses_files_and_outside_hosts():
    fetcher = data_only_fetcher()
    for url in ("file:///etc/passwd", "http://example.com/x.png", "https://127.0.0.1/a.css"):
        with pytest.raises(ValueError):
            fetcher.fetch(url)
    assert fetcher.fetch("data:text/plain,hi").read() == b"hi"


def test_report_embeds_data_images_but_never_local_files(monkeypatch, tmp_path):
    import base64

    from .factories import image_bytes

    png = image_bytes("PNG")
    local = tmp_path / "secret.png"
    local.write_bytes(png)
    data_uri = "data:image/png;base64," + base64.b64encode(png).decode()

    def images_in(html: str) -> int:
        monkeypatch.setattr("progress.report.render_to_string", lambda *a, **k: html)
        reader = PdfReader(io.BytesIO(report_pdf(client=ClientFactory(), comment="")))
        return sum(len(page.images) for page in reader.pages)

    assert images_in(f'<p>x</p><img src="{data_uri}">') == 1
    assert images_in(f'<p>x</p><img src="file://{local}">') == 0
