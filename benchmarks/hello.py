"""The HTTP floor: a FastAPI hello-world served by the same uvicorn, for ``benchmarks/api.py``.

    uvicorn benchmarks.hello:app   (the benchmark starts it itself, on 127.0.0.1)
"""

from fastapi import FastAPI

app = FastAPI()


@app.get("/")
async def hello() -> dict[str, str]:
    return {"hello": "world"}
