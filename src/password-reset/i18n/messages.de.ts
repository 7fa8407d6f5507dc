import type { PasswordResetTranslation } from './messages.en';

/** German. */
export const GERMAN_MESSAGES: PasswordResetTranslation = {
  mail: {
    defaultProductName: 'Ihr Konto',
    greeting: 'Hallo {{name}},',
    resetPassword: {
      subject: 'Passwort für {{productName}} zurücksetzen',
      intro:
        'Jemand, hoffentlich Sie, hat darum gebeten, das Passwort für {{productName}} zurückzusetzen.',
      button: 'Neues Passwort wählen',
      linkLead: 'Hier wählen Sie ein neues Passwort:',
      expiry_one:
        'Der Link funktioniert einmal und läuft in {{count}} Minute ab.',
      expiry_other:
        'Der Link funktioniert einmal und läuft in {{count}} Minuten ab.',
      expiry_seconds_one:
        'Der Link funktioniert einmal und läuft in {{count}} Sekunde ab.',
      expiry_seconds_other:
        'Der Link funktioniert einmal und läuft in {{count}} Sekunden ab.',
      expiry_hours_one:
        'Der Link funktioniert einmal und läuft in {{count}} Stunde ab.',
      expiry_hours_other:
        'Der Link funktioniert einmal und läuft in {{count}} Stunden ab.',
      notYou:
        'Wenn Sie das nicht waren, ignorieren Sie diese Mail: Ihr Passwort bleibt, wie es ist.',
      code: {
        lead: 'Oder, wenn sich der Link nicht öffnen lässt, geben Sie diesen Code mit Ihrem Benutzernamen oder Ihrer E-Mail-Adresse ein:',
        sameReset:
          'Code und Link gehören zu einem Zurücksetzen: Sobald Sie eines verwenden, funktioniert das andere nicht mehr.',
      },
    },
    invite: {
      subject: 'Legen Sie Ihr Passwort für {{productName}} fest',
      intro:
        'Sie wurden zu {{productName}} eingeladen. Wählen Sie ein Passwort, um loszulegen.',
      button: 'Mein Passwort festlegen',
      linkLead: 'Legen Sie Ihr Passwort hier fest:',
      expiry_one:
        'Der Link funktioniert einmal und läuft in {{count}} Minute ab.',
      expiry_other:
        'Der Link funktioniert einmal und läuft in {{count}} Minuten ab.',
      expiry_seconds_one:
        'Der Link funktioniert einmal und läuft in {{count}} Sekunde ab.',
      expiry_seconds_other:
        'Der Link funktioniert einmal und läuft in {{count}} Sekunden ab.',
      expiry_hours_one:
        'Der Link funktioniert einmal und läuft in {{count}} Stunde ab.',
      expiry_hours_other:
        'Der Link funktioniert einmal und läuft in {{count}} Stunden ab.',
      notYou:
        'Wenn Sie diese Einladung nicht erwartet haben, ignorieren Sie diese Mail: Ohne Sie wird kein Passwort festgelegt.',
    },
    passwordChanged: {
      subject: 'Ihr Passwort für {{productName}} wurde geändert',
      intro:
        'Das Passwort für {{productName}} wurde am {{changedAt}} über einen Link zum Zurücksetzen geändert.',
      notYou:
        'Wenn Sie das waren, ist nichts zu tun. Wenn nicht, setzen Sie Ihr Passwort sofort zurück und wenden Sie sich an den Support.',
    },
  },
  pages: {
    lostPasswordForm: {
      title: 'Passwort vergessen?',
      intro:
        'Geben Sie Ihren Benutzernamen oder Ihre E-Mail-Adresse ein. Gehört sie zu einem Konto, schicken wir Ihnen einen Link, mit dem Sie ein neues Passwort wählen.',
      username: 'Benutzername oder E-Mail-Adresse',
      submit: 'Link schicken',
    },
    lostPasswordSent: {
      title: 'Sehen Sie in Ihr Postfach',
      outcome:
        'Wenn ein Konto zu Ihrer Eingabe passt, ist eine Mail mit einem Link zum Wählen eines neuen Passworts unterwegs. Der Link funktioniert einmal und läuft bald ab.',
      hint: 'Nichts angekommen? Sehen Sie im Spam-Ordner nach, oder',
      askAgain: 'fragen Sie erneut',
      codeForm: {
        heading: 'Einen Code in der Mail erhalten?',
        intro: 'Geben Sie ihn hier ein, statt den Link zu öffnen.',
        username: 'Benutzername oder E-Mail-Adresse',
        code: 'Code aus der Mail',
        submit: 'Neues Passwort speichern',
      },
    },
    resetForm: {
      title: 'Neues Passwort wählen',
      password: 'Neues Passwort',
      passwordConfirmation: 'Dasselbe Passwort noch einmal',
      secondFactorCode:
        'Code Ihres zweiten Faktors (Authenticator-App oder Backup-Code)',
      hint: 'Mindestens {{minLength}} Zeichen. Einige Wörter, die nichts miteinander zu tun haben, ergeben ein starkes Passwort, das man sich leicht merkt.',
      submit: 'Neues Passwort speichern',
      inviteTitle: 'Passwort festlegen',
      inviteSubmit: 'Mein Passwort festlegen',
    },
    resetDone: {
      title: 'Passwort geändert',
      outcome:
        'Ihr Passwort wurde geändert. Sie können sich jetzt damit anmelden.',
      continue: 'Weiter',
      inviteTitle: 'Passwort festgelegt',
      inviteOutcome:
        'Ihr Passwort wurde festgelegt. Sie können sich jetzt damit anmelden.',
    },
    linkInvalid: {
      title: 'Dieser Link funktioniert nicht mehr',
      outcome:
        'Dieser Link ist abgelaufen oder wurde schon benutzt. Links zum Zurücksetzen funktionieren einmal, für kurze Zeit, und nur der neueste.',
      askAgain: 'Neuen Link anfordern',
    },
    error: {
      title: 'Etwas ist schiefgegangen',
      startAgain: 'Von vorn beginnen',
    },
  },
  errors: {
    invalid_token:
      'dieser Link oder Code zum Zurücksetzen ist ungültig, abgelaufen oder wurde schon benutzt',
    password_mismatch: 'die beiden Passwörter stimmen nicht überein',
    second_factor_required:
      'dieses Konto hat einen zweiten Faktor: geben Sie dessen Code ein, um ein neues Passwort zu setzen',
    invalid_second_factor: 'der Code Ihres zweiten Faktors ist falsch',
    payload_too_large: 'der Inhalt der Anfrage ist größer als {{limit}}',
    unsupported_media_type:
      'der Inhalt ist in einer Kodierung oder einem Zeichensatz, die dieser Dienst nicht liest: {{reason}}',
    malformed_body: 'der Inhalt der Anfrage ist fehlerhaft: {{reason}}',
    too_many_requests:
      'zu viele Anfragen von dieser Adresse; bitte versuchen Sie es später noch einmal',
    database_unavailable:
      'der Dienst ist gerade nicht erreichbar; bitte versuchen Sie es noch einmal',
    request_not_recorded:
      'die Anfrage konnte nicht gespeichert werden; bitte versuchen Sie es noch einmal',
    identifier_not_stored: 'der Benutzername konnte nicht gespeichert werden',
    password_not_stored:
      'das Passwort konnte nicht gespeichert werden; der Link funktioniert noch, bitte versuchen Sie es noch einmal',
    sessions_not_ended:
      'Ihr Passwort wurde geändert und dieser Link ist verbraucht, aber Ihre anderen Sitzungen konnten nicht beendet werden; melden Sie sich mit dem neuen Passwort an und überall ab, oder wenden Sie sich an den Support',
    unknown_user: 'es gibt keinen Benutzer {{userId}}',
    account_limit:
      'dieses Konto hat die {{max}} Mails zum Zurücksetzen erhalten, die die Grenze pro Konto erlaubt; die nächste kann nach {{nextAt}} gesendet werden',
    unknown_link_purpose:
      'ein Link ist für "reset" oder "invite", nicht für "{{purpose}}"',
    invalid_link_ttl:
      'die Lebensdauer eines Links ist in Millisekunden oder eine Dauer wie 7d anzugeben, nicht {{ttl}}',
    internal_error: 'interner Fehler',
    invalid_request: 'ungültiger Inhalt der Anfrage',
  },
  validation: {
    required: '{{field}} fehlt',
    notString: '{{field}} muss eine Zeichenkette sein',
    empty: '{{field}} darf nicht leer sein',
    blank: '{{field}} darf nicht leer sein oder nur aus Leerzeichen bestehen',
    tooLong: '{{field}} darf höchstens {{max}} Zeichen lang sein',
    identifierTooLong:
      '{{field}} darf höchstens {{max}} Zeichen gültiges Unicode lang sein',
    controlCharacters: '{{field}} darf keine Steuerzeichen enthalten',
    unknownField: 'das Feld {{field}} ist nicht erlaubt',
    resetCode: {
      off: '{{field}} wird nicht angenommen: dieser Dienst verschickt nur Links zum Zurücksetzen',
      tokenAndCode:
        '{{field}} darf nicht mit token kommen: senden Sie den token des Links, oder username und code',
      usernameWithToken:
        '{{field}} gehört zu code, nicht zu token: senden Sie den token des Links, oder username und code',
      tokenOrCodeRequired:
        '{{field}} fehlt, oder stattdessen username und code',
      digits: '{{field}} müssen die {{digits}} Ziffern aus der Mail sein',
    },
    returnToNotAllowed:
      '{{field}} muss eine absolute http(s)-URL aus der Liste der erlaubten Rücksprungadressen sein',
  },
  passwordPolicy: {
    tooShort: 'das Passwort muss mindestens {{minLength}} Zeichen lang sein',
    tooLong: 'das Passwort darf höchstens {{maxLength}} Zeichen lang sein',
    personal:
      'das Passwort darf nicht Ihr Benutzername oder Ihre E-Mail-Adresse sein',
    guessable: 'das Passwort ist zu leicht zu erraten',
    breached:
      'das Passwort ist in einem Datenleck aufgetaucht und wird deshalb zuerst durchprobiert; wählen Sie ein anderes',
  },
};
