"""Believable demo and benchmark people: French and US names with accents, apostrophes and hyphens."""

import random

import phonenumbers

FR_FIRST = [
    "Hélène",
    "Émilie",
    "Chloé",
    "Léa",
    "Manon",
    "Camille",
    "Inès",
    "Zoé",
    "Anaïs",
    "Clémence",
    "Océane",
    "Noémie",
    "Maëlys",
    "Françoise",
    "Bérénice",
    "Jean",
    "Jean-Pierre",
    "François",
    "Jérôme",
    "Loïc",
    "Thibault",
    "Mathéo",
    "Noé",
    "Raphaël",
    "Gaëtan",
    "Hugo",
    "Lucas",
    "Théo",
    "Benoît",
    "Stéphane",
]
FR_LAST = [
    "Martin",
    "Bernard",
    "Dubois",
    "Thomas",
    "Robert",
    "Richard",
    "Petit",
    "Durand",
    "Leroy",
    "Moreau",
    "Simon",
    "Laurent",
    "Lefèvre",
    "Michel",
    "Garcia",
    "David",
    "Bertrand",
    "Roux",
    "Vincent",
    "Fournier",
    "Morel",
    "Girard",
    "André",
    "Mercier",
    "Dupont",
    "Lambert",
    "Bonnet",
    "François",
    "Martinez",
    "Legrand",
    "Garnier",
    "Faure",
    "Rousseau",
    "Blanc",
    "Guérin",
    "Müller",
    "Henry",
    "Roussel",
    "Nicolas",
    "Perrin",
    "Morin",
    "Mathieu",
    "Clément",
    "Gauthier",
    "Dumont",
    "Lopez",
    "Fontaine",
    "Chevalier",
    "Robin",
    "Masson",
    "D'Amico",
    "de la Tour",
    "Le Goff",
    "N'Diaye",
    "Béranger-Lefort",
    "Saint-Exupéry",
    "Lacôte",
    "Noël",
]
US_FIRST = [
    "James",
    "Mary",
    "Robert",
    "Patricia",
    "John",
    "Jennifer",
    "Michael",
    "Linda",
    "David",
    "Elizabeth",
    "William",
    "Barbara",
    "Richard",
    "Susan",
    "Joseph",
    "Jessica",
    "Thomas",
    "Sarah",
    "Mary-Kate",
    "Zoë",
    "José",
    "Siobhán",
    "Renée",
    "Chloe",
    "Aiden",
    "Mia",
    "Liam",
    "Olivia",
    "Noah",
    "Emma",
]
US_LAST = [
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Gonzalez",
    "Wilson",
    "Anderson",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "O'Connor",
    "O'Brien",
    "McDonald",
    "Nguyen",
    "Kim",
    "Patel",
    "Smith-Jones",
    "D'Angelo",
    "Van Buren",
    "Peña",
    "Muñoz",
    "Thompson",
    "White",
    "Harris",
    "Clark",
    "Lewis",
    "Robinson",
    "Walker",
    "Young",
    "Allen",
]
PET_NAMES = [
    "Rex",
    "Bella",
    "Max",
    "Luna",
    "Charlie",
    "Milo",
    "Coco",
    "Nala",
    "Rocky",
    "Simba",
    "Oscar",
    "Lily",
]
SPECIES_WEIGHTS = [
    ("dog", 50),
    ("cat", 35),
    ("bird", 5),
    ("fish", 3),
    ("reptile", 2),
    ("small_mammal", 4),
    ("other", 1),
]
FR_TAGS = ["Fidèle", "Professionnel", "Retouches", "Cuir", "Livraison"]
US_TAGS = ["VIP", "Groomer", "Raw diet", "Puppy class", "Senior pet"]


FEMININE = {
    "Hélène",
    "Émilie",
    "Chloé",
    "Léa",
    "Manon",
    "Camille",
    "Inès",
    "Zoé",
    "Anaïs",
    "Clémence",
    "Océane",
    "Noémie",
    "Maëlys",
    "Françoise",
    "Bérénice",
    "Mary",
    "Patricia",
    "Jennifer",
    "Linda",
    "Elizabeth",
    "Barbara",
    "Susan",
    "Jessica",
    "Sarah",
    "Mary-Kate",
    "Zoë",
    "Siobhán",
    "Renée",
    "Chloe",
    "Mia",
    "Olivia",
    "Emma",
}
NEUTRAL = {"Camille", "Noé"}


def civility_for(first_name: str, rng: random.Random) -> str:
    """Most records carry the usual civility; some none, a few Mx."""
    roll = rng.random()
    if roll < 0.2:
        return ""
    if roll < 0.23 or first_name in NEUTRAL:
        return "mx"
    return "mrs" if first_name in FEMININE else "mr"


def names_for(country: str) -> tuple[list[str], list[str]]:
    return (FR_FIRST, FR_LAST) if country == "FR" else (US_FIRST, US_LAST)


def mobile_number(country: str, rng: random.Random) -> str:
    """A valid mobile number for the country, in E.164."""
    while True:
        if country == "FR":
            raw = f"+33{rng.choice('67')}{rng.randrange(10**8):08d}"
        else:
            area = rng.choice([201, 212, 305, 312, 415, 503, 617, 702, 718, 917])
            raw = f"+1{area}{rng.randrange(200, 1000)}{rng.randrange(10**4):04d}"
        number = phonenumbers.parse(raw, None)
        if phonenumbers.is_valid_number(number):
            return raw


def email_for(first: str, last: str, n: int, rng: random.Random) -> str:
    from customers.normalise import name_key

    local = f"{name_key(first)}.{name_key(last)}".replace(" ", "")
    domain = rng.choice(["example.com", "example.org", "example.net", "example.fr"])
    return f"{local}{n}@{domain}"
