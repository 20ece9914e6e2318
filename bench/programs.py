"""Benchmark: select a template + write the texts (deterministic) + render the PDF of a full 12-week
program. Prints p50/p95 per step and the PDF size.

    DEBUG=1 .venv/bin/python bench/programs.py [--runs 20]

Runs on a throwaway SQLite database in a temporary folder (your data is not touched).
"""

import argparse
import io
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()

    workdir = tempfile.mkdtemp(prefix="bench-programs-")
    os.environ["DATABASE_URL"] = f"sqlite:///{workdir}/bench.sqlite3"
    os.environ["MEDIA_ROOT"] = f"{workdir}/media"
    os.environ.setdefault("DEBUG", "1")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ["LLM_API_BASE_URL"] = ""
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.base"

    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from pypdf import PdfReader

    from crm.models import Client
    from programs import services
    from programs.formatting import format_program
    from programs.models import TrainingProgram
    from programs.pdf import render_program_pdf
    from programs.selection import Answers, program_content, select_template

    started = time.perf_counter()
    services.templates_ensure_loaded()
    print(f"bundled library loaded in {time.perf_counter() - started:.2f}s")

    client = Client.objects.create(
        first_name="Анна",
        last_name="Петрова",
        gender="female",
        experience="advanced",
        goal="muscle_gain",
        location="gym",
        equipment="full_gym",
        training_days_per_week=5,
    )
    timings: dict[str, list[float]] = {"select": [], "format": [], "pdf": [], "total": []}
    size = pages = 0
    for run in range(args.runs + 1):  # the first run warms up fonts and imports; not counted
        t0 = time.perf_counter()
        selection = select_template(Answers.from_client(client))
        template = selection.template
        program = TrainingProgram(
            client=client,
            kind="paid",
            trigger=f"bench:{run}",
            title=template.title,
            template=template,
            template_code=template.code,
            is_paid=True,
            content=program_content(template.content, weeks=None),
        )
        program.weeks = len(program.content["weeks"])
        t1 = time.perf_counter()
        formatted = format_program(services._facts(program, template))
        program.formatting = formatted.as_dict()
        t2 = time.perf_counter()
        data = render_program_pdf(services._pdf_context(program))
        t3 = time.perf_counter()
        if run:
            for key, value in zip(timings, (t1 - t0, t2 - t1, t3 - t2, t3 - t0), strict=True):
                timings[key].append(value)
        size = len(data)
        pages = len(PdfReader(io.BytesIO(data)).pages)
    print(
        f"{args.runs} runs of a 12-week program ({template.code}, "
        f"{sum(len(d['exercises']) for w in program.content['weeks'] for d in w['days'])} exercise rows):"
    )
    for key, values in timings.items():
        print(
            f"  {key:7s} p50 {statistics.median(values) * 1000:8.1f} ms   "
            f"p95 {percentile(values, 0.95) * 1000:8.1f} ms"
        )
    print(f"  PDF size {size / 1024:.0f} KiB, {pages} pages")


if __name__ == "__main__":
    main()
