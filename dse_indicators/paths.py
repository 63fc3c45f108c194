"""Where the project lives on disk."""

from pathlib import Path


def project_root() -> Path:
    """The checkout holding dbt_project.yml: the current folder or the nearest one above it."""
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        if (folder / "dbt_project.yml").is_file():
            return folder
    return here


def embedded_data_dir() -> Path:
    """The embedded PostgreSQL's data folder, inside the checkout and ignored by git."""
    return project_root() / ".pgdata"


def checkout() -> Path:
    """The checkout whose files the helper reads (dbt_project.yml, the seeds).

    The project around the current folder, as dbt finds it; elsewhere, the checkout this package
    is installed from (it is installed editable, so the files stay beside it).
    """
    root = project_root()
    if (root / "dbt_project.yml").is_file():
        return root
    return Path(__file__).resolve().parent.parent
