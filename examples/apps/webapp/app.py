"""Users service: fault_nb's sample of a small FastAPI + SQLAlchemy web app.

It has the shape of the app in fault's *Code Review* guide (the same three
operations, so fault's scenarios and results for that app apply to it) and the
same first-draft habits the review is meant to find: blocking database work
inside ``async def`` handlers, a commit with no rollback, a database error
turned into a bare 500. Do not copy it into real code.

    uvicorn app:app --app-dir examples/apps/webapp --port 9090

The SQLite file is created in the working directory.
"""
from typing import Annotated

import uvicorn
from fastapi import Body, Depends, FastAPI, HTTPException, status
from sqlalchemy import Column, Integer, String, create_engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, declarative_base, sessionmaker

# -- storage ------------------------------------------------------------------

engine = create_engine("sqlite:///./test.db")
SessionLocal = sessionmaker(autocommit=False, autoflush=False, bind=engine)
Base = declarative_base()


class User(Base):
    __tablename__ = "users"

    id = Column(Integer, primary_key=True, index=True)
    name = Column(String, index=True)
    password = Column(String)


Base.metadata.create_all(bind=engine)


def get_db():
    """One session per request, closed when the response is sent."""
    db = SessionLocal()
    try:
        yield db
    finally:
        db.close()


# -- HTTP ---------------------------------------------------------------------

# the document advertises the port the guide uses; tests run it on a free one
app = FastAPI(servers=[{"url": "http://localhost:9090"}])


@app.get("/")
async def index() -> dict[str, str]:
    return {"message": "Hello, World!"}


@app.post("/users/")
async def create_user(
    name: Annotated[str, Body()],
    password: Annotated[str, Body()],
    db: Session = Depends(get_db),
):
    # synchronous SQLAlchemy calls in an async handler block the event loop
    user = User(name=name, password=password)
    db.add(user)
    db.commit()
    db.refresh(user)
    return user


@app.get("/users/{user_id}")
async def read_user(
    user_id: int,
    db: Session = Depends(get_db),
):
    try:
        user = db.query(User).filter(User.id == user_id).first()
        if user is None:
            raise HTTPException(status_code=status.HTTP_404_NOT_FOUND)
        return user
    except SQLAlchemyError:
        raise HTTPException(status_code=status.HTTP_500_INTERNAL_SERVER_ERROR)


if __name__ == "__main__":
    uvicorn.run("app:app", port=9090)
