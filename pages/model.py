"""Model insight: how good the emotion model is, read from ``models/metrics.json``.

A thin view: ``tunex_core.report.model_report`` parses the file (it is written once by the
emotion engine's evaluation; nothing is evaluated on page load) and
``tunex_core.report.model_charts`` builds the figures.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import streamlit as st

from pages.common import CONFIDENCE_HISTORY_KEY
from tunex_core.markup import escape_markdown
from tunex_core.paths import PROJECT_ROOT
from tunex_core.report.metrics_schema import ROBUSTNESS_NAMES, EvaluationKey, ModelReport
from tunex_core.report.model_charts import (
    ACCURACY_TITLE,
    CONFIDENCE_HISTORY_TITLE,
    accuracy_figure,
    confidence_history_figure,
    confusion_figure,
    confusion_title,
    per_class_figure,
    per_class_title,
    reliability_figure,
    reliability_title,
)
from tunex_core.report.model_report import (
    METRICS_FILE_VARIABLE,
    accuracy_bars,
    confidence_samples,
    fixture_faces_path,
    load_model_report,
    metrics_file_path,
    mistake_faces,
    resting_study_rows,
    robustness_columns,
    summarise_confidence,
)

GALLERY_COLUMNS = 5
FACE_ZOOM = 3


def shown_path(path: Path) -> str:
    """``path`` relative to the project when it is inside it (shorter, and no home folder shown)."""
    try:
        return str(path.resolve().relative_to(PROJECT_ROOT))
    except ValueError:
        return str(path)


def show_summary(report: ModelReport) -> None:
    """Headline numbers: accuracy, macro F1, ECE, size and speed."""
    key = report.headline_key()
    evaluation = report.evaluation(key) if key else None
    columns = st.columns(5)
    if evaluation is not None:
        delta = None
        if report.baseline is not None:
            baseline = report.baseline.evaluations.get(key.split, {})
            if baseline:
                best = max(item.accuracy for item in baseline.values())
                delta = f"{(evaluation.accuracy - best) * 100:+.1f} pts vs baseline"
        columns[0].metric("Accuracy", f"{evaluation.accuracy:.1%}", delta,
                          help=f"{key.display_name}; the baseline is {report.baseline.name}"
                          if report.baseline else key.display_name)
        if evaluation.macro_f1 is not None:
            columns[1].metric("Macro F1", f"{evaluation.macro_f1:.3f}")
        if evaluation.ece is not None:
            columns[2].metric("Calibration error (ECE)", f"{evaluation.ece:.1%}")
    model = report.model
    if model is not None and model.parameters is not None:
        columns[3].metric("Parameters", f"{model.parameters / 1e6:.2f} M")
    latency = report.latency
    if latency is not None and latency.per_face is not None:
        columns[4].metric("Time per face (median)", f"{latency.per_face:.1f} ms",
                          help=f"what the app runs for each face: {latency.per_face_views}; measured when the "
                               "model was released, on that 2-core CPU (faster processors take less)")
    details = []
    if evaluation is not None:
        faces = f", {evaluation.n:,} faces" if evaluation.n else ""
        details.append(f"scores on {key.display_name}{faces}")
    if model is not None:
        if model.architecture:
            details.append(f"architecture `{model.architecture}`")
        if model.size_bytes is not None:
            details.append(f"{model.size_bytes / 1e6:.1f} MB on disk")
        if model.trained_epochs is not None:
            details.append(f"{model.trained_epochs} epochs")
        if model.training_minutes is not None:
            details.append(f"{model.training_minutes:.0f} min of training")
    if latency is not None:
        p95 = latency.app_p95 if latency.app_p50 is not None else latency.batch_1_p95
        if p95 is not None:
            details.append(f"95th-percentile time {p95:.1f} ms per face")
        if latency.batch_8_p50_per_face is not None:
            details.append(f"{latency.batch_8_p50_per_face:.1f} ms per face in batches of 8")
    if report.temperature is not None:
        details.append(f"softmax temperature {report.temperature:.2f}")
    if report.runtime is not None:
        runtime = report.runtime
        details.append(f"the app runs `{runtime.file}` ({runtime.quantization}): the Keras model's label on "
                       f"{runtime.public_test.label_agreement:.1%} of PublicTest and "
                       f"{runtime.private_test.label_agreement:.1%} of PrivateTest faces")
    if details:
        st.caption(" · ".join(details))


def show_lenses(report: ModelReport) -> None:
    """FER-2013's labels beside the FER+ crowd's and real photos: the figures the model is chosen by."""
    crowd, photos = report.crowd, report.real_photos
    if crowd is None and photos is None:
        return
    st.header("Three ways to score it")
    columns = st.columns(3)
    fer = report.evaluation(EvaluationKey("private_test", "tta"))
    if fer is not None:
        columns[0].metric("PrivateTest, FER-2013 labels", f"{fer.accuracy:.1%}",
                          help="flip TTA, as the app runs it; each face's one FER-2013 label")
    crowd_private = crowd.splits.get("private_test") if crowd else None
    if crowd_private is not None:
        columns[1].metric("PrivateTest, FER+ crowd", f"{crowd_private.accuracy:.1%}",
                          help=f"the same faces against the label most of FER+'s 10 annotators chose; "
                               f"{crowd_private.n:,} faces ({crowd_private.dropped} the crowd called unknown or "
                               f"not a face left out)")
    if photos is not None:
        columns[2].metric(f"Real photos ({photos.set_name})", f"{photos.accuracy:.1%}",
                          help="right of all labelled photos: the largest face, read as the app reads a still "
                               "photo; a photo where no face is found counts as a miss")
    notes = []
    if crowd is not None:
        public = crowd.splits.get("public_test")
        if public is not None:
            notes.append(f"PublicTest against the crowd: {public.accuracy:.1%} of {public.n:,} faces")
    if photos is not None:
        found = (f"; {photos.accuracy_of_found:.1%} of the faces found read right"
                 if photos.accuracy_of_found is not None else "")
        notes.append(f"{photos.set_name}: a face found in {photos.found:,} of {photos.photos:,} photos{found}")
    st.caption(" · ".join(notes) + ". FER-2013's single labels disagree with the 10-person crowd on about a third "
               "of the faces; the model is chosen by the crowd and by real photos, and FER-2013's labels are "
               "reported.")
    if photos is not None and photos.per_class:
        table = pd.DataFrame([{"emotion": label, "photos": figure.photos, "face found": figure.found,
                               "read right": figure.right, "recall": figure.recall}
                              for label, figure in photos.per_class.items()])
        st.markdown(f"**Real photos ({escape_markdown(photos.set_name)}): recall per emotion**")
        st.dataframe(table, hide_index=True,
                     column_config={"recall": st.column_config.NumberColumn(format="percent")})
        if photos.command:
            st.caption(f"Measured by `{photos.command}`" + (f" ({photos.backend})" if photos.backend else "")
                       + "; recall counts a photo with no face found as a miss.")


def show_evaluations_table(report: ModelReport) -> None:
    """Every evaluation in the file (and the baseline's) as one table."""
    rows = []
    for key in report.evaluation_keys():
        evaluation = report.evaluation(key)
        rows.append({"model": "TuneX", "evaluation": key.display_name, "accuracy": evaluation.accuracy,
                     "macro F1": evaluation.macro_f1, "ECE": evaluation.ece,
                     "log loss": evaluation.negative_log_likelihood, "faces": evaluation.n})
    if report.baseline is not None:
        for split, variants in report.baseline.evaluations.items():
            for variant, evaluation in variants.items():
                rows.append({"model": report.baseline.name,
                             "evaluation": EvaluationKey(split, variant).display_name,
                             "accuracy": evaluation.accuracy, "macro F1": evaluation.macro_f1,
                             "ECE": evaluation.ece, "log loss": evaluation.negative_log_likelihood,
                             "faces": evaluation.n})
    if rows:
        st.dataframe(pd.DataFrame(rows), hide_index=True,
                     column_config={"accuracy": st.column_config.NumberColumn(format="percent"),
                                    "ECE": st.column_config.NumberColumn(format="percent"),
                                    "macro F1": st.column_config.NumberColumn(format="%.3f"),
                                    "log loss": st.column_config.NumberColumn(format="%.3f")})


def show_accuracy(report: ModelReport) -> None:
    """The accuracy chart beside the anchors."""
    st.header("Accuracy in context")
    bars = accuracy_bars(report)
    if not bars:
        st.caption("metrics.json has no accuracies yet.")
        return
    st.markdown(f"**{ACCURACY_TITLE}**")
    st.plotly_chart(accuracy_figure(bars))
    show_evaluations_table(report)
    st.caption("FER-2013 is hard: people label its faces correctly only about 65% of the time "
               "(Goodfellow et al., 2013). The anchors are other models' reported accuracies on it.")


def show_evaluation_details(report: ModelReport) -> None:
    """Confusion matrix, per-class scores and reliability for a chosen evaluation."""
    keys = report.evaluation_keys()
    if not keys:
        return
    headline = report.headline_key()
    chosen = st.selectbox("Evaluation", keys, index=keys.index(headline), format_func=lambda choice: choice.display_name,
                          key="model_evaluation", persist_state="session")
    evaluation = report.evaluation(chosen)

    st.header("Where it gets confused")
    if evaluation.confusion is not None:
        st.markdown(f"**{escape_markdown(confusion_title(chosen.display_name))}**")
        st.plotly_chart(confusion_figure(evaluation.confusion, report.labels))
    else:
        st.caption("No confusion matrix for this evaluation.")
    if evaluation.per_class:
        st.markdown(f"**{escape_markdown(per_class_title(chosen.display_name))}**")
        st.plotly_chart(per_class_figure(evaluation.per_class))
    else:
        st.caption("No per-class scores for this evaluation.")

    st.header("Can you trust its confidence?")
    if evaluation.reliability is not None:
        st.markdown(f"**{escape_markdown(reliability_title(chosen.display_name, evaluation.ece))}**")
        st.plotly_chart(reliability_figure(evaluation.reliability))
        st.caption("Bars on the dashed diagonal mean that a face read at 80% confidence is right 80% "
                   "of the time. ECE is the faces-weighted average gap.")
    else:
        st.caption("No reliability diagram for this evaluation.")


def show_experiments(report: ModelReport) -> None:
    """Training recipes, ensembles and distilled students side by side (``tunex_core experiment``)."""
    if not report.experiments:
        return
    st.header("Experiments: what each recipe changed")
    with_crowd = any(item.crowd for item in report.experiments)
    perturbations = robustness_columns(report.experiments)
    rows = [{"experiment": item.name, "models": len(item.members), "parameters": item.parameters,
             "training (min)": item.training_minutes, "PublicTest": item.public_tta,
             "PublicTest plain": item.public_plain,
             **{name: item.robustness.get(name) for name in perturbations},
             "macro F1": item.macro_f1, "PrivateTest": item.private_tta,
             **({"PublicTest, FER+ majority": item.crowd.get("public_test"),
                 "PrivateTest, FER+ majority": item.crowd.get("private_test")} if with_crowd else {}),
             "recipe": item.recipe}
            for item in report.experiments]
    percent = st.column_config.NumberColumn(format="percent")
    st.dataframe(pd.DataFrame(rows), hide_index=True, height="content",
                 column_config={"PublicTest": percent, "PublicTest plain": percent, "PrivateTest": percent,
                                "PublicTest, FER+ majority": percent, "PrivateTest, FER+ majority": percent,
                                **{name: st.column_config.NumberColumn(ROBUSTNESS_NAMES.get(name, name),
                                                                       format="percent") for name in perturbations},
                                "macro F1": st.column_config.NumberColumn(format="%.3f"),
                                "training (min)": st.column_config.NumberColumn(format="%.0f")})
    st.caption("Flip TTA (the app's setting) unless marked plain. Rotated, darkened, blurred, JPEG and "
               "mouth-covered are fixed copies of PublicTest (what a webcam does to a face; empty where an "
               "experiment was not scored on one). Choices are made on PublicTest; PrivateTest is scored once, "
               "for the final table (empty until then). An ensemble averages its members' probabilities."
               + (" \"FER+ majority\" scores the same faces against the label most of FER+'s 10 annotators "
                  "chose (faces the crowd called unknown or not a face left out): FER-2013's own labels "
                  "disagree with that majority on about a third of the faces." if with_crowd else ""))
    recall = pd.DataFrame([{"experiment": item.name, **item.recall} for item in report.experiments])
    st.dataframe(recall, hide_index=True, height="content",
                 column_config={label: st.column_config.NumberColumn(format="percent") for label in report.labels})
    st.caption("Recall per emotion on PublicTest (flip TTA): how often a face of that emotion is read right.")


def show_resting_study(report: ModelReport) -> None:
    """What calibrating to a resting face does, in the simulated-people study (``bench/calibration_study.py``)."""
    rows = resting_study_rows(report.resting_study)
    if not rows:
        return
    st.header("Calibrating to your resting face")
    corrections = list(dict.fromkeys(name for row in rows for name in row.gains))
    table = []
    for row in rows:
        entry = {"personal bias": row.scenario + (f" (trait {row.trait:g})" if row.trait else ""),
                 "seeds": len(row.seeds), "no correction": row.uncorrected}
        for name in corrections:
            if name in row.gains:
                mean, lowest, highest = row.gains[name]
                entry[f"{name}: gain"] = f"{mean:+.1f} ({lowest:+.1f} to {highest:+.1f})"
                entry[f"{name}: resting face reads neutral"] = row.resting_reads_neutral[name]
        table.append(entry)
    percent = st.column_config.NumberColumn(format="percent")
    st.dataframe(pd.DataFrame(table), hide_index=True,
                 column_config={"no correction": percent,
                                **{f"{name}: resting face reads neutral": percent for name in corrections}})
    persons = sorted({run.persons for run in report.resting_study})
    st.caption(f"Simulated people on PublicTest ({', '.join(map(str, persons))} per scenario and seed): each "
               "person's faces share a blended-in face (trait), a light and a camera; the resting photo is one "
               "of their neutral faces. Balanced accuracy with no correction; gain in points with each "
               "correction (mean, lowest to highest over the seeds); the lowest share of persons whose resting "
               "photo reads neutral after it. A proxy: the real check is photos of people with their own "
               "resting photo. `python bench/calibration_study.py --record` adds a run.")


def show_mistakes(report: ModelReport) -> None:
    """A gallery of the model's confident mistakes on the committed fixture faces."""
    st.header("Confident mistakes")
    if not report.fixture_mistakes:
        st.caption("metrics.json lists no confident mistakes.")
        return
    fixture = fixture_faces_path()
    try:
        faces = mistake_faces(fixture, report.fixture_mistakes)
    except FileNotFoundError:
        st.caption(f"The fixture faces `{shown_path(fixture)}` are not in this checkout, "
                   "so the gallery is empty.")
        return
    except (OSError, ValueError) as error:
        st.caption(f"The fixture faces could not be read ({error}).")
        return
    if not faces:
        st.caption(f"None of the listed mistakes is in `{shown_path(fixture)}`.")
        return
    st.caption("Faces from the test fixture that the model got wrong while being sure of itself. "
               "Several are ambiguous even to people.")
    columns = st.columns(GALLERY_COLUMNS)
    for position, item in enumerate(faces):
        zoomed = np.kron(item.face, np.ones((FACE_ZOOM, FACE_ZOOM), dtype=np.uint8))
        mistake = item.mistake
        columns[position % GALLERY_COLUMNS].image(
            zoomed, caption=f"true {mistake.true} → read {mistake.predicted} ({mistake.confidence:.0%})",
            alt=f"A test face labelled {mistake.true}, read as {mistake.predicted} with "
                f"{mistake.confidence:.0%} confidence")


def show_confidence_history() -> None:
    """This session's live per-face confidence, from the Live mood page."""
    st.header("This session, live")
    samples = confidence_samples(st.session_state.get(CONFIDENCE_HISTORY_KEY))
    if not samples:
        st.info("No live readings yet in this session. Start the camera on **Live mood** and each "
                "face's confidence will be plotted here.")
        return
    st.markdown(f"**{CONFIDENCE_HISTORY_TITLE}**")
    st.plotly_chart(confidence_history_figure(samples))
    summary = pd.DataFrame([{"face": item.face, "readings": item.readings,
                             "mean confidence": item.mean_confidence, "latest emotion": item.last_label}
                            for item in summarise_confidence(samples)])
    st.dataframe(summary, hide_index=True,
                 column_config={"mean confidence": st.column_config.NumberColumn(format="percent")})


st.title("📊 Model insight")
st.caption("How well TuneX reads faces, measured once on faces it never trained on: FER-2013's test faces, "
           "and real photos.")

metrics_path = metrics_file_path()
try:
    report = load_model_report(metrics_path)
except FileNotFoundError:
    report = None
    st.warning(f"No model metrics yet: `{shown_path(metrics_path)}` does not exist. It is written when the "
               f"shipped model is evaluated (see docs/training.md); "
               f"`{METRICS_FILE_VARIABLE}` can point this page at another file.")
except ValueError as error:
    report = None
    st.error(f"The model metrics file could not be read: {error}")

if report is not None:
    show_summary(report)
    show_lenses(report)
    show_accuracy(report)
    show_evaluation_details(report)
    show_experiments(report)
    show_resting_study(report)
    show_mistakes(report)
show_confidence_history()
