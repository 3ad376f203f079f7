"""What the pages say about a refusal: one catalogue of French sentences chosen by `code`.

Services refuse with a stable code (`node/problems.py`); validation errors carry pydantic's
error type or a schema's own code. The pages look the code up here and show the sentence in
the reader's language next to the field concerned; they never read `detail` or `message`,
which are English for the API and may be reworded. A code missing here falls back to a
general sentence by kind of refusal, never to English text.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from node.problems import DomainError
from node.web.forms import Translate
from node.web.i18n import N_

# Code -> French sentence; `%(name)s` is filled from the error's context (pydantic's `ctx`,
# or the problem's extra members). A plain dict, so each area can add its own codes.
ERROR_MESSAGES: dict[str, str] = {
    # Validation (pydantic's error types and the schemas' own codes)
    "missing": N_("Ce champ est obligatoire."),
    "string_too_short": N_("Ce champ est obligatoire."),
    "string_too_long": N_("Trop long : %(max_length)s caractères au plus."),
    "too_long": N_("Trop d'éléments : %(max_length)s au plus."),
    "int_parsing": N_("Saisissez un nombre entier."),
    "greater_than_equal": N_("Saisissez un nombre supérieur ou égal à %(ge)s."),
    "date_from_datetime_parsing": N_("Saisissez une date valide (jj/mm/aaaa)."),
    "date_parsing": N_("Saisissez une date valide (jj/mm/aaaa)."),
    "datetime_from_date_parsing": N_("Saisissez une date et une heure valides."),
    "datetime_parsing": N_("Saisissez une date et une heure valides."),
    "enum": N_("Choisissez une des valeurs proposées."),
    "literal_error": N_("Choisissez une des valeurs proposées."),
    "url_parsing": N_("Saisissez une adresse web complète (https://…)."),
    "url_scheme": N_("Saisissez une adresse web complète (https://…)."),
    "url_type": N_("Saisissez une adresse web complète (https://…)."),
    "bool_parsing": N_("Valeur invalide."),
    "decimal_parsing": N_("Saisissez un montant, par exemple 1 234,50."),
    "decimal_type": N_("Saisissez un montant, par exemple 1 234,50."),
    "decimal_max_places": N_("Deux décimales au plus (les centimes)."),
    "decimal_max_digits": N_("Montant trop élevé."),
    "float_parsing": N_("Saisissez un nombre, par exemple 45 ou 45,5."),
    "less_than_equal": N_("Saisissez un nombre inférieur ou égal à %(le)s."),
    "greater_than": N_("Saisissez un nombre supérieur à %(gt)s."),
    "extra_forbidden": N_("Champ inattendu."),
    "email_invalid": N_("Saisissez une adresse e-mail valide (nom@exemple.fr)."),
    "period_ends_before_start": N_("La fin de la période précède son début."),
    "loan_too_long": N_("Un prêt dure au plus %(max_days)s jours."),
    "reason_required": N_("Indiquez la raison."),
    "counter_needs_dates": N_("Indiquez des dates valides (la fin après le début)."),
    "cachets_missing": N_("Un contrat au cachet compte au moins un cachet."),
    "hours_missing": N_("Un contrat à l'heure indique ses heures."),
    "annexe_required": N_("Choisissez l'annexe (I à VI) de l'IDCC 3090."),
    "annexe_not_applicable": N_("L'IDCC 1285 n'a pas d'annexe : choisissez « aucune »."),
    "null_not_allowed": N_("Ce champ est obligatoire."),
    # Records named by a form
    "member_unknown": N_("Choisissez un membre du bureau."),
    "organisation_unknown": N_("Choisissez une organisation."),
    "production_unknown": N_("Choisissez un spectacle."),
    "date_not_of_production": N_("Cette date n'est pas une date du spectacle."),
    "contact_not_of_organisation": N_("Choisissez un contact de cette organisation."),
    "engagement_unknown": N_("Cet engagement n'existe pas."),
    "merge_into_itself": N_("Choisissez deux organisations différentes."),
    "prospection_exists": N_(
        "Cette organisation est déjà dans la prospection du spectacle : modifiez sa ligne."
    ),
    # Production office
    "licence_missing": N_("Numéro de licence obligatoire sur un contrat (récépissé PLATESV)."),
    "fee_missing": N_("Une cession a un prix de cession."),
    "percentage_missing": N_("Indiquez le pourcentage de la recette."),
    "ticket_price_missing": N_("Le prix des places est une clause essentielle."),
    "contract_incomplete": N_("Le contrat est incomplet."),
    "contract_dates_invalid": N_("Le contrat nomme des dates qu'il ne peut pas couvrir."),
    "date_in_other_contract": N_("Cette date figure déjà dans un autre contrat."),
    "contract_signed": N_("Un contrat signé ne change plus : rédigez un avenant."),
    "contract_already_signed": N_("Ce contrat est déjà signé."),
    "contract_not_signed": N_("Seul un contrat signé se solde : enregistrez d'abord la signature."),
    "dates_not_played": N_(
        "Le décompte se fait après la date : marquez d'abord la date « jouée » (onglet Étapes)."
    ),
    "settlement_missing": N_("Ce contrat n'a pas encore de décompte."),
    "cancel_reason_required": N_("Indiquez le motif de l'annulation."),
    "option_fields_only": N_("Seule une option a un niveau et une échéance."),
    "date_not_option": N_("Seule une option a un niveau et une échéance."),
    "stage_not_allowed": N_("Ce passage n'est pas possible depuis l'étape actuelle."),
    "units_missing": N_("Indiquez le nombre de cachets ou d'heures."),
    "pay_below_minimum": N_(
        "Refusé : %(per_unit)s € par %(unit)s, sous le minimum de %(minimum)s € de la grille "
        "du bureau (%(grid_source)s)."
    ),
    "duty_not_manual": N_("Cette obligation ne se coche pas à la main."),
    "template_syntax": N_(
        "Le modèle ne peut pas être compilé (erreur de syntaxe Jinja2) : %(error)s"
    ),
    "template_failed": N_("Le modèle n'a pas pu produire le document : %(error)s"),
    "template_unknown": N_("Ce modèle de document n'existe pas."),
    "pdf_layout": N_(
        "Ce document ne se met pas en page en PDF : simplifiez le modèle (titres, paragraphes, "
        "listes, tableaux simples)."
    ),
    "grid_invalid": N_("La grille contient des erreurs ; rien n'a été chargé."),
    "grid_value_invalid": N_("Valeur invalide."),
    "grid_columns_missing": N_("Colonnes manquantes dans la grille : %(columns)s"),
    "grid_empty": N_("La grille ne contient aucune ligne."),
    "grid_too_large": N_("La grille est trop grande."),
    "grid_not_utf8": N_("La grille doit être un fichier texte en UTF-8."),
    # Loans
    "resource_unknown": N_("Ce bureau ne prête pas cette ressource (ou plus)."),
    "own_resource": N_("Cette ressource est celle de votre bureau : aucun prêt n'est nécessaire."),
    "peer_unknown": N_("Ce bureau n'est pas un pair du vôtre."),
    "loan_overlap": N_("Cette ressource est déjà prêtée sur une partie de cette période."),
    "loan_action_not_allowed": N_(
        "Le prêt a changé entre-temps (ou attend une réponse) : voici son état actuel."
    ),
    "loan_request_pending": N_("La demande de ce prêt n'est pas encore traitée."),
    "loan_not_yours": N_("Ce prêt n'est pas le vôtre."),
    # Loans: what the node itself says about a step (`reason_code`, docs/loans.md)
    "unknown_at_owner": N_("Le bureau propriétaire ne connaît pas ce prêt."),
    "resource_not_lendable": N_("Ressource inconnue ou non prêtable."),
    "period_taken": N_("La période proposée n'est plus libre."),
    "overlap_manual_decision": N_("Déjà prêtée sur cette période : décision manuelle."),
    "offered_in_hosting": N_("Proposée dans une offre d'accueil."),
    "counter_changed": N_("La contre-proposition a changé depuis : voyez les nouvelles dates."),
    "action_refused": N_("« %(asked)s » impossible : le prêt était « %(state)s »."),
    # Accounts and access
    "password_too_short": N_("Le mot de passe doit compter au moins %(min_length)s caractères."),
    "password_wrong": N_("Le mot de passe actuel est incorrect."),
    "password_change_needs_session": N_("Changez votre mot de passe depuis une session."),
    "username_required": N_("Indiquez un identifiant."),
    "username_taken": N_("Cet identifiant est déjà pris."),
    "login_failed": N_("Identifiant inconnu ou mot de passe incorrect."),
    "login_throttled": N_("Trop de tentatives échouées : réessayez dans %(retry_after)s secondes."),
    "session_expired": N_("Votre session a expiré : reconnectez-vous."),
    "token_invalid": N_("Ce jeton d'accès est inconnu ou révoqué."),
    "token_needs_member": N_("Un jeton de membre nomme le membre auquel il appartient."),
    "staff_only": N_("réservé à l'équipe du bureau"),
    "admin_only": N_("réservé aux administrateurs"),
    "form_expired": N_("le formulaire a expiré ou ne vient pas de ce site ; rechargez la page"),
    "own_profile_only": N_("Vous ne pouvez modifier que votre propre fiche."),
    "membership_staff_only": N_("Seule l'équipe du bureau modifie l'adhésion."),
    "interaction_not_yours": N_("Seuls son auteur et l'équipe du bureau modifient cet échange."),
    "daysheet_team_only": N_(
        "Seuls l'équipe de cette date et le bureau voient sa feuille de route."
    ),
    "daysheet_link_invalid": N_("Ce lien de feuille de route n'existe pas ou a été révoqué."),
    "feed_revoked": N_("Aucun calendrier à cette adresse (il a peut-être été révoqué)."),
    "feed_kind_unknown": N_("Ce type de calendrier n'existe pas."),
    "cursor_unknown": N_("Ce curseur n'a pas été donné par ce bureau."),
    "card_unknown": N_("Cette fiche n'est pas dans l'annuaire de ce bureau."),
    "hint_missing": N_("Le bureau ne partage pas de contact pour cette organisation."),
    "offer_empty": N_("Proposez au moins un membre, une ressource, un contact ou un mot."),
    # The API and the command line
    "bearer_malformed": N_("Authentifiez-vous avec « Authorization: Bearer <jeton> »."),
    "csrf_missing": N_("Une demande faite depuis une session porte son jeton anti-falsification."),
    "role_required": N_("Votre rôle ne permet pas cette action."),
    "if_match_invalid": N_('If-Match doit être une version, par exemple "3".'),
    "node_exists": N_("Un bureau existe déjà dans ce dossier : rien n'a été écrasé."),
    "backup_exists": N_("Ce fichier existe déjà : choisissez un autre nom."),
    "backup_invalid": N_("Ce fichier n'est pas une sauvegarde d'Archipel."),
    "backup_in_memory": N_("Une base SQLite en mémoire ne se sauvegarde pas."),
    "backup_engine_mismatch": N_(
        "Cette sauvegarde vient d'un bureau sur un autre moteur de base de données."
    ),
    "backup_command_failed": N_("L'outil de sauvegarde de la base a échoué."),
    "nul_character": N_("Un champ contient un caractère nul : retirez-le."),
    "invalid_request": N_("Vérifiez le formulaire."),
    "value_out_of_range": N_("Une valeur sort des limites que ce bureau peut enregistrer."),
    "body_too_large": N_("L'envoi est trop volumineux."),
    "disk_full": N_("Le disque du bureau est plein : rien n'a été enregistré."),
    "database_busy": N_("La base de données est occupée : rien n'a été enregistré, réessayez."),
    # General, by kind of refusal
    "bad_request": N_("Enregistrement refusé."),
    "not_found": N_("Ce que vous cherchez n'existe pas ou plus."),
    "conflict": N_("Enregistrement refusé : il contredit l'état actuel de la fiche."),
    "version_conflict": N_(
        "Quelqu'un d'autre a modifié cette fiche pendant que vous la modifiiez. Vos changements "
        "n'ont pas été enregistrés : rechargez la fiche pour voir sa version actuelle, puis "
        "refaites vos changements."
    ),
    "version_required": N_("Rechargez la fiche, puis refaites vos changements."),
    "forbidden": N_("Accès refusé."),
    "unauthenticated": N_("Connectez-vous pour continuer."),
    "too_many_requests": N_("Trop de demandes : réessayez dans un instant."),
}
# Whole-model refusals (a schema's `model_validator`) name no field: the one they concern.
MODEL_FIELDS: dict[str, str] = {
    "cachets_missing": "cachets",
    "hours_missing": "hours",
    "annexe_required": "annexe",
    "annexe_not_applicable": "annexe",
    "period_ends_before_start": "ends_on",
}
# The sentence when neither the field's code nor the problem's is in the catalogue.
BY_STATUS = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    409: "conflict",
    422: "bad_request",
    428: "version_required",
    429: "too_many_requests",
}
# Tour hosting's refusals (docs/loans.md); its pages fill %(name)s, %(day)s, %(bureau)s...
HOSTING_ERRORS: dict[str, str] = {
    "date_outside_host_area": N_(
        "Cette date (%(place)s) n'est pas dans la zone d'accueil du bureau : il ne peut pas y "
        "proposer de soutien."
    ),
    "producer_not_peer": N_("Le bureau %(bureau)s n'est pas (ou plus) un pair de votre bureau."),
    "crew_no_consent": N_(
        "%(name)s n'accepte pas (ou plus) les propositions du réseau : avec son accord, cochez "
        "« M'accepte pour des propositions du réseau » sur sa fiche."
    ),
    "crew_card_not_shared": N_(
        "La fiche de %(name)s n'est pas visible du réseau : le bureau producteur ne pourrait pas "
        "la voir."
    ),
    "crew_unavailable": N_("%(name)s n'a pas indiqué de disponibilité le %(day)s."),
    "crew_unknown_member": N_("Ce membre n'est pas (ou plus) un membre du bureau."),
    "resource_not_free": N_("%(name)s n'est plus prêtable ou n'est plus libre le %(day)s."),
    "engagement_required": N_(
        "Accepter un membre, c'est l'engager : indiquez les conditions de l'engagement."
    ),
    "offer_item_decided": N_(
        "Cette proposition a déjà reçu une réponse entre-temps : voici l'offre à jour."
    ),
    "offer_date_gone": N_("La date de cette offre n'existe plus : rien n'a été accepté."),
    "offer_not_producer": N_("Seul le bureau producteur répond aux propositions d'une offre."),
    "host_area_entry": N_(
        "« %(entry)s » n'est ni un département ou un début de code postal (1 à 5 chiffres), "
        "ni un nom de ville."
    ),
}
ERROR_MESSAGES.update(HOSTING_ERRORS)
ERROR_MESSAGES.update(
    {
        "overlap_accepted": N_(
            "Refusée automatiquement : le bureau propriétaire a accordé la ressource à une "
            "autre demande sur une partie de cette période."
        ),
        "loan_starts_in_past": N_("Un prêt ne peut pas commencer avant aujourd'hui."),
        "licence_format": N_(
            "Ce n'est pas un numéro de licence : attendu par exemple PLATESV-R-2021-001234, "
            "L-R-21-1234, ou une licence d'avant 2019 comme 2-1234567."
        ),
        "date_in_future": N_("Cette date est après aujourd'hui : notez une étape une fois faite."),
    }
)
INVALID = N_("Valeur invalide.")
UNEXPECTED = N_("La demande n'a pas abouti.")


def say(code: str, translate: Translate, params: Mapping[str, Any] | None = None) -> str | None:
    """The catalogue's sentence for `code` in the reader's language, filled from `params`;
    None when the catalogue does not know the code."""
    template = ERROR_MESSAGES.get(code)
    if template is None:
        return None
    text = translate(template)
    if "%(" not in text:
        return text
    filled = {k: _shown(v) for k, v in (params or {}).items()}
    try:
        return text % filled
    except (KeyError, TypeError, ValueError):
        return None


def _shown(value: Any) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return "—" if value in (None, "") else str(value)


def field_errors(exc: ValidationError, translate: Translate) -> dict[str, str]:
    """The first error of each form field in the reader's language; a whole-model refusal
    goes to the field it concerns, anything else under `""`."""
    errors: dict[str, str] = {}
    for error in exc.errors():
        code = str(error.get("type", ""))
        loc = error.get("loc", ())
        name = str(loc[0]) if loc else MODEL_FIELDS.get(code, "")
        message = say(code, translate, error.get("ctx")) or translate(INVALID)
        errors.setdefault(name, message)
    return errors


def problem_errors(
    exc: DomainError, translate: Translate, values: Mapping[str, Any] | None = None
) -> dict[str, str]:
    """A service's refusal in the reader's language, by form field (`""` for the whole form)."""
    params = _params(exc, translate, values or {})
    errors: dict[str, str] = {}
    for error in exc.errors:
        name = error.field.removeprefix("body.").split(".")[0]
        message = say(error.code, translate, params) or problem_message(exc, translate, values)
        errors.setdefault(name, message)
    return errors or {"": problem_message(exc, translate, values)}


def problem_message(
    exc: DomainError, translate: Translate, values: Mapping[str, Any] | None = None
) -> str:
    """The refusal as one sentence in the reader's language, by its code."""
    params = _params(exc, translate, values or {})
    return say(exc.code, translate, params) or status_message(exc.status, translate)


def status_message(status: int, translate: Translate) -> str:
    """The general sentence for a refusal nobody named more precisely."""
    code = BY_STATUS.get(status)
    return (say(code, translate) if code else None) or translate(UNEXPECTED)


def _params(exc: DomainError, translate: Translate, values: Mapping[str, Any]) -> dict[str, Any]:
    """What a sentence may quote: the problem's extra members, and the pay check's figures
    with the unit the form was filled in."""
    params = dict(exc.extra)
    pay = exc.extra.get("pay_check")
    if isinstance(pay, dict):
        params.update(pay)
        hourly = values.get("pay_basis") == "heures"
        params["unit"] = translate(N_("heure")) if hourly else translate(N_("cachet"))
    return params
