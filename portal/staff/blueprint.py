"""The staff blueprint; every ``*_views`` module and ``routes`` of the package register on it."""
from flask import Blueprint

bp = Blueprint("staff", __name__)
