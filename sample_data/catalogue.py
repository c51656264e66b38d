"""The demo shop's catalogue and its people: products, countries, names and notes.

Data only, kept apart from generate.py's rules for how customers buy, so that each reads on
its own. Changing anything here changes the demo's bytes: rebuild with generate.py and commit
both CSVs.
"""

from decimal import Decimal
from typing import NamedTuple


def words(text: str) -> list[str]:
    """Split a comma-separated literal; keeps the long tables below readable."""
    return text.split(",")


class Product(NamedTuple):
    sku: str
    name: str
    price: Decimal
    compare_at: str
    popularity: int


PRODUCTS = [
    Product(sku, name, Decimal(price), compare, pop)
    for sku, name, price, compare, pop in (
        ("TEA-EARL-100", "Earl Grey Classic 100 g", "6.90", "", 10),
        ("TEA-ASSM-100", "Assam Breakfast 100 g", "5.90", "", 8),
        ("TEA-SENC-100", "Japan Sencha 100 g", "9.90", "", 7),
        ("TEA-DARJ-100", "Darjeeling First Flush 100 g", "12.90", "", 5),
        ("TEA-ROOI-100", "Rooibos Vanilla 100 g", "5.50", "", 6),
        ("TEA-PEPP-050", "Peppermint Leaves 50 g", "4.90", "", 6),
        ("TEA-CHAI-100", "Masala Chai 100 g", "7.50", "", 6),
        ("TEA-MATC-030", "Ceremonial Matcha 30 g", "24.90", "29.90", 4),
        ("TEA-FRIS-100", "East Frisian Blend 100 g", "6.50", "", 5),
        ("TEA-XMAS-100", "Winter Spice 100 g", "7.90", "", 4),
        ("COF-ESPR-250", "Espresso Nordlicht 250 g", "9.90", "", 10),
        ("COF-ESPR-1000", "Espresso Nordlicht 1 kg", "34.90", "39.90", 5),
        ("COF-ETHI-250", "Ethiopia Yirgacheffe 250 g", "12.90", "", 6),
        ("COF-COLO-250", "Colombia Huila 250 g", "11.50", "", 6),
        ("COF-DECA-250", "Decaf Swiss Water 250 g", "11.90", "", 3),
        ("COF-CREM-1000", "Caffè Crema 1 kg", "29.90", "", 5),
        ("COF-BRAZ-250", "Brazil Santos 250 g", "8.90", "", 6),
        ("COF-KENY-250", "Kenya AA 250 g", "13.90", "", 4),
        ("COF-HOUS-500", "House Blend 500 g", "16.90", "", 7),
        ("COF-SAMP-400", "Origins Sampler 4 x 100 g", "19.90", "", 3),
        ("ACC-TEAP-080", "Glass Teapot 0.8 l", "27.50", "", 2),
        ("ACC-INFU-001", "Steel Tea Infuser", "6.90", "", 4),
        ("ACC-FILT-100", "Paper Tea Filters (100)", "4.90", "", 5),
        ("ACC-FRPR-035", "French Press 0.35 l", "24.90", "", 2),
        ("ACC-GRND-001", "Hand Coffee Grinder", "49.00", "", 2),
        ("ACC-KETL-100", "Gooseneck Kettle 1 l", "59.00", "69.00", 1),
        ("ACC-MUGS-002", "Stoneware Mugs (Set of 2)", "22.00", "", 2),
        ("ACC-CADD-001", "Tea Caddy Tin", "8.50", "", 3),
        ("ACC-SCAL-001", "Coffee Scale with Timer", "34.00", "", 1),
        ("ACC-DRIP-001", "Ceramic Pour-Over Dripper", "18.90", "", 2),
        ("GFT-TEAB-001", "Tea Discovery Box", "29.90", "", 3),
        ("GFT-COFB-001", "Coffee Lover's Box", "39.90", "", 3),
        ("GFT-ADVT-024", "Tea Advent Calendar", "34.90", "", 3),
        ("GFT-CARD-001", "Greeting Card with Tea Sample", "4.90", "", 3),
        ("GFT-CERE-001", "Tea Ceremony Gift Set", "49.00", "", 1),
        ("GFT-HAMP-001", "Nordic Breakfast Hamper", "89.00", "", 1),
        ("GFT-MATC-SET", "Matcha Starter Set", "64.00", "", 1),
        ("GFT-MINI-006", "Mini Tea Tasting Set (6)", "14.90", "", 3),
        ("GFT-CHOC-001", "Tea & Chocolate Duo", "19.50", "", 2),
        ("GFT-WOOD-001", "Wooden Tea Chest", "44.00", "", 1),
    )
]
SEASONAL = {"TEA-XMAS-100", "GFT-ADVT-024", "GFT-HAMP-001", "GFT-TEAB-001", "GFT-COFB-001"}


class Country(NamedTuple):
    """What makes a name, an address and a timestamp look local."""

    weight: int
    tz: str  # continental customers all get CET/CEST
    vat: int
    phone: str  # pattern for fill()
    street: str  # '{s}' street name, '{n}' house number
    streets: list[str]
    cities: list[tuple[str, str, str, str]]  # city, zip pattern, province code, province name
    first: list[str]
    last: list[str]


COUNTRIES = {
    "DE": Country(
        35,
        "Europe/Berlin",
        19,
        "+4915#########",
        "{s} {n}",
        words("Hauptstraße,Bahnhofstraße,Lindenallee,Schillerstraße,Am Mühlbach,Gartenweg"),
        [
            ("Berlin", "10###", "", ""),
            ("Hamburg", "22###", "", ""),
            ("München", "80###", "", ""),
            ("Köln", "50###", "", ""),
            ("Leipzig", "04###", "", ""),
            ("Düsseldorf", "40###", "", ""),
            ("Freiburg im Breisgau", "79###", "", ""),
            ("Kiel", "24###", "", ""),
        ],
        words(
            "Jürgen,Anna,Lukas,Sophie,Jonas,Marie,Felix,Lena,Maximilian,Hannah,Tobias,Sören,"
            "Katharina,Jörg,Björn,Lea,Paul,Greta,Uwe,Sabine,Günter,Käthe"
        ),
        words(
            "Müller,Schmidt,Schneider,Fischer,Weber,Meyer,Wagner,Becker,Schäfer,Koch,Bauer,"
            "Richter,Klein,Wolf,Schröder,Neumann,Zimmermann,Krüger,Hofmann,Weiß,Groß,Köhler"
        ),
    ),
    "NL": Country(
        20,
        "Europe/Berlin",
        21,
        "+316########",
        "{s} {n}",
        words("Keizersgracht,Dorpsstraat,Kerkstraat,Molenweg,Prinsengracht,Lange Voorhout"),
        [
            ("Amsterdam", "10## @@", "", ""),
            ("Utrecht", "35## @@", "", ""),
            ("Rotterdam", "30## @@", "", ""),
            ("Groningen", "97## @@", "", ""),
            ("Den Haag", "25## @@", "", ""),
            ("Haarlem", "20## @@", "", ""),
        ],
        words(
            "Zoë,Daan,Sem,Emma,Lotte,Bram,Sanne,Jeroen,Femke,Thijs,Anouk,Ruben,Maaike,Joost,"
            "Eline,Sjoerd,Chloë,Niels"
        ),
        words(
            "de Jong,Jansen,de Vries,van den Berg,van der Berg,Bakker,Visser,Smit,Meijer,"
            "de Boer,Mulder,de Groot,Bos,Vos,Hendriks,van Dijk,Dekker,Brouwer"
        ),
    ),
    "IT": Country(
        15,
        "Europe/Berlin",
        22,
        "+393#########",
        "{s}, {n}",
        words("Via Roma,Via Garibaldi,Corso Italia,Via dei Mille,Piazza Cavour,Via Verdi"),
        [
            ("Roma", "001##", "RM", "Roma"),
            ("Milano", "201##", "MI", "Milano"),
            ("Torino", "101##", "TO", "Torino"),
            ("Bologna", "401##", "BO", "Bologna"),
            ("Napoli", "801##", "NA", "Napoli"),
            ("Firenze", "501##", "FI", "Firenze"),
        ],
        words(
            "Niccolò,Giulia,Luca,Francesca,Matteo,Chiara,Alessandro,Sofia,Lorenzo,Martina,"
            "Andrea,Federica,Davide,Elena,Tommaso,Beatrice,Gianluca,Ilaria"
        ),
        words(
            "Rossi,Russo,Ferrari,Esposito,Bianchi,Romano,Colombo,Ricci,Marino,Greco,Bruno,"
            "Gallo,Conti,De Luca,Mancini,Costa,Giordano,Fontana"
        ),
    ),
    "NO": Country(
        10,
        "Europe/Berlin",
        25,
        "+479#######",
        "{s} {n}",
        words("Storgata,Kirkeveien,Skolegata,Fjordveien,Bjørkeveien,Løkkeveien"),
        [
            ("Oslo", "0###", "", ""),
            ("Bergen", "50##", "", ""),
            ("Trondheim", "70##", "", ""),
            ("Tromsø", "90##", "", ""),
            ("Stavanger", "40##", "", ""),
        ],
        words(
            "Bjørn,Ingrid,Lars,Kari,Ola,Sigrid,Håkon,Solveig,Øystein,Astrid,Eirik,Ragnhild,"
            "Torbjørn,Marit,Åse,Jørgen,Silje"
        ),
        words(
            "Hansen,Johansen,Olsen,Larsen,Andersen,Pedersen,Nilsen,Kristiansen,Ødegård,Søvik,"
            "Bakke,Haugen,Lie,Dahl,Strøm,Aasen,Sæther,Løken"
        ),
    ),
    "GB": Country(
        12,
        "Europe/London",
        20,
        "+447#########",
        "{n} {s}",
        words("High Street,Station Road,Church Lane,Victoria Road,Mill Lane,Queen's Walk"),
        [
            ("London", "SW# #@@", "", ""),
            ("Manchester", "M# #@@", "", ""),
            ("Edinburgh", "EH# #@@", "", ""),
            ("Bristol", "BS# #@@", "", ""),
            ("Leeds", "LS# #@@", "", ""),
        ],
        words(
            "Oliver,Amelia,Harry,Isla,George,Olivia,Jack,Emily,Charlie,Sophie,Thomas,Grace,"
            "William,Chloe,James,Eleanor,Siobhán,Rhys"
        ),
        words(
            "Smith,Jones,Taylor,Brown,Williams,Wilson,Johnson,Davies,Evans,Walker,Wright,"
            "Thompson,Robinson,Hughes,Edwards,Green,Hall,Clarke"
        ),
    ),
    "US": Country(
        8,
        "America/New_York",
        0,
        "+1%##55501##",
        "{n} {s}",
        words("Main Street,Oak Avenue,Maple Drive,Elm Street,Park Avenue,Cedar Lane"),
        [
            ("New York", "100##", "NY", "New York"),
            ("Portland", "972##", "OR", "Oregon"),
            ("Austin", "787##", "TX", "Texas"),
            ("Seattle", "981##", "WA", "Washington"),
            ("Boston", "021##", "MA", "Massachusetts"),
            ("Chicago", "606##", "IL", "Illinois"),
        ],
        words(
            "Emma,Liam,Olivia,Noah,Ava,Ethan,Mia,Mason,Harper,Logan,Abigail,Lucas,Madison,"
            "Chloé,José,Zoë"
        ),
        words(
            "Johnson,Williams,Garcia,Miller,Davis,Rodriguez,Martinez,Anderson,Taylor,Thomas,"
            "Moore,Martin,Lee,White,Harris,Núñez,Nguyen"
        ),
    ),
}
# Hand-picked customers carrying the edge values the app must survive, with a fixed behaviour.
SPECIALS = [
    ("DE", "Jürgen", "Müller", "champion"),
    ("NO", "Ærlig", "Søvik", "lapsed"),
    ("IT", "Niccolò", "D'Amico", "regular"),
    ("NL", "Zoë", "van der Berg", "regular"),
    ("NO", "Bjørn", "Ødegård", "once"),
    ("DE", "Anna [VIP]", "Schmidt", "champion"),
    ("DE", "[Test]", "Kunde", "once"),
    ("IT", "Marco [bold]", "Rossi", "regular"),
    ("GB", "Emily", "Hughes [/red]", "lapsed"),
    ("NL", "Sanne [b]", "Visser", "once"),
    (
        "DE",
        "Maximiliane Alexandra Friederike",
        "von Hohenzollern-Sigmaringen zu Waldburg-Zeil",
        "regular",
    ),
]
CUSTOMER_NOTES = [
    "Prefers loose-leaf tea, no plastic packaging.",
    "Café owner – ask about bulk.",
    "Allergic to nuts: no chocolate samples.",
    "Met at the Hamburg tea fair 2024.",
    "Ring twice.\nLeave with neighbour, no. 12 if out.",
]
ORDER_NOTES = [
    "Bitte beim Nachbarn abgeben.",
    "Gift – please no invoice in the parcel.",
    "Regalo, niente prezzo per favore.",
    "Graag in de brievenbus.",
    "Back door, please.",
]
ADDRESS2 = ["2. OG", "Apt 4B", "c/o Reception", "Hinterhaus"]
PAYMENT_METHODS = ["Shopify Payments"] * 3 + ["PayPal Express Checkout", "Klarna"]
COMPANIES = ["Teestube am Markt", "Café Kompass", "Bottega del Tè", "Koffiehuis Noord"]
