"""Airflow DAG file: point ``AIRFLOW__CORE__DAGS_FOLDER`` at this folder (``make run-airflow-stage4``)."""

from stage4_pipelines.airflow_dag import create_etl_dag

dag = create_etl_dag()
