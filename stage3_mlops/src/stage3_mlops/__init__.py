"""Stage 3: an MLOps loop around a recommender — MLflow tracking and registry, drift, A/B tests."""

from stage3_mlops.abtest import (
    ABTest,
    TestResult,
    assign_variant,
    msprt_test,
    power_two_proportions,
    sample_ratio_mismatch,
    sample_size_means,
    sample_size_two_proportions,
    two_proportion_ztest,
    welch_ttest,
)
from stage3_mlops.config import DriftThresholds, MLOpsConfig, ServingLimits
from stage3_mlops.data import DriftSpec, GeneratorConfig, generate_interactions, load_movielens
from stage3_mlops.errors import (
    DataError,
    ModelError,
    RegistryError,
    ServerError,
    Stage3Error,
    TrackingError,
)
from stage3_mlops.metrics import RankingMetrics, evaluate_recommender, ranking_metrics
from stage3_mlops.mlops import RecommendationMLOps
from stage3_mlops.models import MODEL_NAMES, Recommender, create_recommender, load_recommender
from stage3_mlops.preprocess import build_matrix, random_split_per_user, time_split
from stage3_mlops.reports import (
    DeploymentDecision,
    MonitoringReport,
    RetrainingOutcome,
    TrainingResult,
)

__all__ = [
    "MODEL_NAMES",
    "ABTest",
    "DataError",
    "DeploymentDecision",
    "DriftSpec",
    "DriftThresholds",
    "GeneratorConfig",
    "MLOpsConfig",
    "ModelError",
    "MonitoringReport",
    "RankingMetrics",
    "RecommendationMLOps",
    "Recommender",
    "RegistryError",
    "RetrainingOutcome",
    "ServerError",
    "ServingLimits",
    "Stage3Error",
    "TestResult",
    "TrackingError",
    "TrainingResult",
    "assign_variant",
    "build_matrix",
    "create_recommender",
    "evaluate_recommender",
    "generate_interactions",
    "load_movielens",
    "load_recommender",
    "msprt_test",
    "power_two_proportions",
    "random_split_per_user",
    "ranking_metrics",
    "sample_ratio_mismatch",
    "sample_size_means",
    "sample_size_two_proportions",
    "time_split",
    "two_proportion_ztest",
    "welch_ttest",
]
