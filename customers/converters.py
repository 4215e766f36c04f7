"""The customer number as it appears in URLs (`/customers/<customer_number:number>/`), registered by the
app (`CustomersConfig.ready`) for the customers' and the till's URLs.

Numbers are short and alphanumeric (`customers.services.customer_number_new`), matched case-insensitively.
Anything else (a NUL byte, 300 characters, punctuation) is no customer's number: the URL resolves to nothing
(404) instead of reaching the database."""

import re

NUMBER_REGEX = "[0-9A-Za-z]{1,12}"
NUMBER_FORM = re.compile(NUMBER_REGEX)


def is_number_form(value: str) -> bool:
    """Whether `value` could be a customer number (the selectors answer "no such customer" otherwise)."""
    return bool(NUMBER_FORM.fullmatch(value or ""))


class CustomerNumberConverter:
    regex = NUMBER_REGEX

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value
