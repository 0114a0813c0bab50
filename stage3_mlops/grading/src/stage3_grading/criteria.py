"""Stage 3's criteria: the roadmap's four check-boxes, each judged on what the learner's code does."""

from __future__ import annotations

from gradekit.criterion import Comparison, Criterion

__all__ = ["CRITERIA", "DEFAULT_IMPL", "MODULE_HINT", "TITLE"]

TITLE = "Stage 3 — ML model development & management (MLOps recommender)"
DEFAULT_IMPL = "stage3_mlops"
MODULE_HINT: str | None = "mlops"

CRITERIA: dict[str, Criterion] = {
    "mlflow_ui": Criterion(
        id="mlflow_ui",
        title="Experiment results visualised in the MLflow UI",
        title_ko="MLflow UI에서 실험 결과 시각화",
        method=(
            "12 train_model calls (popularity and item_knn settings) then deploy_best_model on the "
            "grader's tracking server; read back over REST: finished runs in YOUR experiment with "
            "ndcg_at_10 among numeric metrics and their params, a registered model version made "
            "from one of those runs; the UI page of the experiment must answer (headless Chromium "
            "screenshot saved as evidence)"
        ),
        threshold=10,
        unit="runs",
        comparison=Comparison.AT_LEAST,
    ),
    "rollback": Criterion(
        id="rollback",
        title="Model version management and rollback",
        title_ko="모델 버전 관리 및 롤백",
        method=(
            "train popularity, deploy; train item_knn, deploy; train a worse popularity, deploy "
            "(the champion must stay); serve the champion with `mlflow models serve`: /invocations "
            "for 8 users must equal that version's own predictions (mlflow.pyfunc) and differ "
            "across users; rollback(): the champion is the first version again and the re-served "
            "answers equal its predictions"
        ),
    ),
    "drift": Criterion(
        id="drift",
        title="Automatic detection of performance drift",
        title_ko="성능 드리프트 자동 감지",
        method=(
            "after one training + deployment, monitor_model_performance on 4 weekly windows of "
            "stable data and, separately, 4 windows of drifted data (half the users change taste, "
            "20 new popular items from week 9); a retraining is a new model logged in the "
            "experiment: none on stable data, one within the first 2 drifted windows"
        ),
    ),
    "docker": Criterion(
        id="docker",
        title="Model served from a Docker container",
        title_ko="Docker 컨테이너로 모델 서빙",
        method=(
            "docker build of YOUR Dockerfile (IMPL/Dockerfile or IMPL/model-server/Dockerfile; "
            "ours: deploy/model-server/Dockerfile) on a real engine, run it with MODEL_URI, "
            "MLFLOW_TRACKING_URI (the grader's server) and PORT; /invocations for 8 users must "
            "equal the registered champion's own predictions and differ across users; build "
            "seconds and image size reported"
        ),
    ),
}
